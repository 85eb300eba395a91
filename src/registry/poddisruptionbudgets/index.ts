// The poddisruptionbudgets kind (policy): its registry entry and its code, declared here and listed in src/registry/index.ts.
import { STATUS } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { podDisruptionBudgetPrinter } from './printer.js';
import { podDisruptionBudgetValidator } from './validation.js';

export const poddisruptionbudgets: KindDef = {
  group: 'policy',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  namespaced: true,
  shortNames: ['pdb'],
  subresources: [STATUS],
  hasStatus: true,
  hasGeneration: true,
  printer: podDisruptionBudgetPrinter,
  validator: podDisruptionBudgetValidator,
};
