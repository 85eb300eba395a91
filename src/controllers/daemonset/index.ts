export { newDaemonSetController, type DaemonSetControllerOptions } from './controller.js';
