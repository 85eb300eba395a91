export { newDisruptionController, type DisruptionControllerOptions } from './controller.js';
export { DELETION_TIMEOUT_MS } from './budget.js';
