// The Job controller and the TTL-after-finished controller (src/controllers/job/).
export { newJobController, isJobFinished, JOB_TRACKING_FINALIZER, type JobControllerOptions } from './controller.js';
export { newTTLAfterFinishedController, jobExpiresAt, type TTLAfterFinishedOptions } from './ttl-after-finished.js';
export { COMPLETION_INDEX_ANNOTATION } from './indexes.js';
