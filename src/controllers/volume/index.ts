export { newPvcProtectionController, newPvProtectionController } from './protection.js';
