// The persistentvolumeclaims kind (core): its registry entry and its code, declared here and listed in src/registry/index.ts.
import { STATUS, path } from '../../api/kind.js';
import type { KindDef } from '../kind.js';
import { persistentVolumeClaimStrategy } from './strategy.js';
import { persistentVolumeClaimPrinter } from './printer.js';
import { persistentVolumeClaimValidator } from './validation.js';
import { defaultPersistentVolumeClaim } from './defaults.js';

export const persistentvolumeclaims: KindDef = {
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  namespaced: true,
  shortNames: ['pvc'],
  subresources: [STATUS],
  hasStatus: true,
  fieldLabels: { 'status.phase': path('status', 'phase') },
  printer: persistentVolumeClaimPrinter,
  defaulter: defaultPersistentVolumeClaim,
  validator: persistentVolumeClaimValidator,
  strategy: persistentVolumeClaimStrategy,
};
