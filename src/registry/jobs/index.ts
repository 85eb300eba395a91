// The jobs kind (batch): its registry entry, declared here and listed in src/registry/index.ts.
import { path, STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { jobPrinter } from './printer.js';
import { jobValidator } from './validation.js';
import { defaultJob } from './defaults.js';
import { jobStrategy } from './strategy.js';

export const jobs: KindDef = {
  group: 'batch',
  kind: 'Job',
  plural: 'jobs',
  namespaced: true,
  categories: ['all'],
  subresources: [STATUS],
  hasStatus: true,
  hasGeneration: true,
  fieldLabels: { 'status.successful': path('status', 'succeeded') },
  printer: jobPrinter,
  defaulter: defaultJob,
  validator: jobValidator,
  strategy: jobStrategy,
};
