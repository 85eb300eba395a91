// The storageclasses kind (storage.k8s.io, cluster-scoped): its registry entry and its code, declared here and listed in src/registry/index.ts.
import type { KindDef } from '../kind.js';
import { storageClassPrinter } from './printer.js';
import { storageClassValidator } from './validation.js';
import { defaultStorageClass } from './defaults.js';

export const storageclasses: KindDef = {
  group: 'storage.k8s.io',
  kind: 'StorageClass',
  plural: 'storageclasses',
  namespaced: false,
  shortNames: ['sc'],
  printer: storageClassPrinter,
  defaulter: defaultStorageClass,
  validator: storageClassValidator,
};
