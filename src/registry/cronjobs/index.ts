// The cronjobs kind (batch): its registry entry, declared here and listed in src/registry/index.ts.
import { STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { cronJobPrinter } from './printer.js';
import { cronJobValidator } from './validation.js';
import { defaultCronJob } from './defaults.js';

export const cronjobs: KindDef = {
  group: 'batch',
  kind: 'CronJob',
  plural: 'cronjobs',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  subresources: [STATUS],
  hasStatus: true,
  hasGeneration: true,
  printer: cronJobPrinter,
  defaulter: defaultCronJob,
  validator: cronJobValidator,
};
