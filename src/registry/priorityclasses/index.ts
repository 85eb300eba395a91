// The priorityclasses kind (scheduling.k8s.io): its registry entry and its code, declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { priorityClassPrinter } from './printer.js';
import { priorityClassValidator } from './validation.js';
import { defaultPriorityClass } from './defaults.js';

export const priorityclasses: KindDef = {
  group: 'scheduling.k8s.io',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  namespaced: false,
  shortNames: ['pc'],
  printer: priorityClassPrinter,
  defaulter: defaultPriorityClass,
  validator: priorityClassValidator,
};
