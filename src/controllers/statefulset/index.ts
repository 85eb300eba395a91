export { newStatefulSetController, type StatefulSetControllerOptions } from './controller.js';
