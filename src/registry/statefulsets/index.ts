// The statefulsets kind (apps): its registry entry and its code, declared here and listed in src/registry/index.ts.
import { SCALE, STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { statefulSetPrinter } from './printer.js';
import { statefulSetValidator } from './validation.js';
import { defaultStatefulSet } from './defaults.js';

export const statefulsets: KindDef = {
  group: 'apps',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  subresources: [STATUS, SCALE],
  hasStatus: true,
  hasGeneration: true,
  printer: statefulSetPrinter,
  defaulter: defaultStatefulSet,
  validator: statefulSetValidator,
};
