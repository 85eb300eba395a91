// The csinodes kind (storage.k8s.io, cluster-scoped, named as its node): the CSI drivers a node
// has and how many of each driver's volumes it can attach, which the scheduler's
// NodeVolumeLimits reads. Declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { csiNodePrinter } from './printer.js';
import { csiNodeValidator } from './validation.js';

export const csinodes: KindDef = {
  group: 'storage.k8s.io',
  kind: 'CSINode',
  plural: 'csinodes',
  namespaced: false,
  printer: csiNodePrinter,
  validator: csiNodeValidator,
};
