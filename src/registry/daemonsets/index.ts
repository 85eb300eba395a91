// The daemonsets kind (apps): its registry entry and its code, declared here and listed in src/registry/index.ts.
import { STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { daemonSetPrinter } from './printer.js';
import { daemonSetValidator } from './validation.js';
import { defaultDaemonSet } from './defaults.js';

export const daemonsets: KindDef = {
  group: 'apps',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  subresources: [STATUS],
  hasStatus: true,
  hasGeneration: true,
  printer: daemonSetPrinter,
  defaulter: defaultDaemonSet,
  validator: daemonSetValidator,
};
