// The serviceaccounts kind: its registry entry and its code, declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { serviceAccountPrinter } from './printer.js';
import { serviceAccountValidator } from './validation.js';

export const serviceaccounts: KindDef = {
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  namespaced: true,
  shortNames: ['sa'],
  printer: serviceAccountPrinter,
  validator: serviceAccountValidator,
};
