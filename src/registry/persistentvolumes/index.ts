// The persistentvolumes kind (core, cluster-scoped): its registry entry and its code, declared here and listed in src/registry/index.ts.
import { STATUS, path } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { persistentVolumeStrategy } from './strategy.js';
import { persistentVolumePrinter } from './printer.js';
import { persistentVolumeValidator } from './validation.js';
import { defaultPersistentVolume } from './defaults.js';

export const persistentvolumes: KindDef = {
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  namespaced: false,
  shortNames: ['pv'],
  subresources: [STATUS],
  hasStatus: true,
  fieldLabels: { 'status.phase': path('status', 'phase') },
  printer: persistentVolumePrinter,
  defaulter: defaultPersistentVolume,
  validator: persistentVolumeValidator,
  strategy: persistentVolumeStrategy,
};
