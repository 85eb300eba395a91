// The ResourceQuota controller (src/controllers/resourcequota/).
export { newResourceQuotaController, quotaStatus, trackingKind, type ResourceQuotaControllerOptions } from './controller.js';
