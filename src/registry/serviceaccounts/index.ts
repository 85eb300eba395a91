// The serviceaccounts kind: its registry entry and its code, declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { serviceAccountPrinter } from './printer.js';
import { serviceAccountValidator } from './validation.js';

export const serviceaccounts: KindDef = {
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  namespaced: true,
  shortNames: ['sa'],
  subresources: [{ name: 'token', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }],
  printer: serviceAccountPrinter,
  validator: serviceAccountValidator,
};
