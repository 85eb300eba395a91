// The Deployment controller: rolling updates and recreates over ReplicaSets, as upstream's.
export { newDeploymentController, type DeploymentControllerOptions } from './controller.js';
export { computeHash, safeEncodeString } from './hash.js';
export { calculateStatus } from './sync.js';
export {
  POD_TEMPLATE_HASH_LABEL,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  resolveFenceposts,
} from './util.js';
