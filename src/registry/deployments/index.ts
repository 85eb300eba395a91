// The deployments kind (apps): its registry entry and its code, declared here and listed in src/registry/index.ts.
import { SCALE, STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { deploymentPrinter } from './printer.js';
import { deploymentValidator } from './validation.js';
import { defaultDeployment } from './defaults.js';

export const deployments: KindDef = {
  group: 'apps',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: [STATUS, SCALE],
  hasStatus: true,
  hasGeneration: true,
  printer: deploymentPrinter,
  defaulter: defaultDeployment,
  validator: deploymentValidator,
};
