// The csidrivers kind (storage.k8s.io, cluster-scoped, named as the driver): how Kubernetes
// treats a CSI driver's volumes (attach, pod info on mount, capacity, tokens, lifecycle modes).
// Declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { csiDriverPrinter } from './printer.js';
import { csiDriverValidator } from './validation.js';
import { defaultCSIDriver } from './defaults.js';

export const csidrivers: KindDef = {
  group: 'storage.k8s.io',
  kind: 'CSIDriver',
  plural: 'csidrivers',
  namespaced: false,
  printer: csiDriverPrinter,
  defaulter: defaultCSIDriver,
  validator: csiDriverValidator,
};
