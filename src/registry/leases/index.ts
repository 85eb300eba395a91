// The leases kind (coordination.k8s.io): its registry entry and its code, declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { leasePrinter } from './printer.js';
import { leaseValidator } from './validation.js';

export const leases: KindDef = {
  group: 'coordination.k8s.io',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
  allowCreateOnUpdate: true,
  printer: leasePrinter,
  validator: leaseValidator,
};
