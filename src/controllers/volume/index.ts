export { newPvcProtectionController, newPvProtectionController } from './protection.js';
export { newPersistentVolumeController, type PersistentVolumeControllerOptions } from './pv-controller.js';
