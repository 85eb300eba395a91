// The client every Berth component uses to talk to the API server: REST calls and watches,
// informers (list + watch into an indexed cache), work queues, leader election, and events.
export type { KubeObject, ObjectList, WatchEvent, WatchEventType, Mutable } from './types.js';
export { StatusError, isNotFound, isConflict, isAlreadyExists, isExpired, isInvalid, isForbidden, isTooManyRequests, type Status } from './errors.js';
export { resourcePath, resources, type GroupVersionResource, type ResourceRef, type NamedRef } from './paths.js';
export { rfc3339, microTime, parseTime, sleep } from './time.js';
export { loadKubeconfig, parseKubeconfig, defaultKubeconfigPath, KubeconfigError, type ConnectionOptions, type KubeconfigOptions } from './kubeconfig.js';
export {
  RestClient,
  PATCH_CONTENT_TYPES,
  type RestClientOptions,
  type RequestOptions,
  type Query,
  type ListOptions,
  type WriteOptions,
  type PatchType,
  type PatchOptions,
  type DeleteOptions,
  type WatchOptions,
  type WatchHandle,
} from './rest.js';
export { WatchDecoder, WatchDecodeError } from './watch-stream.js';
export {
  Indexer,
  metaNamespaceKey,
  splitMetaNamespaceKey,
  NAMESPACE_INDEX,
  byNamespace,
  NODE_NAME_INDEX,
  byNodeName,
  type IndexFunc,
  type KeyFunc,
  type Delta,
} from './indexer.js';
export {
  Informer,
  createInformer,
  listWatcher,
  type ListWatcher,
  type InformerOptions,
  type InformerSelectors,
  type EventHandler,
  type TransformFunc,
} from './informer.js';
export { SharedInformerFactory, InformerScope, type SharedInformerFactoryOptions, type InformerSelection } from './shared-informer-factory.js';
export {
  defaultTransformFor,
  internStrings,
  stripManagedFields,
  stripManagedFieldsAndLastApplied,
  volumesNamingClaims,
  LAST_APPLIED_ANNOTATION,
} from './transform.js';
export { StringInterner, sharedInterner } from './intern.js';
export { SubtreeSharer, sharedSubtrees, sharePodParts } from './share.js';
export { ItemExponentialFailureRateLimiter, BucketRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
export { WorkQueue, runWorkers, type WorkQueueOptions } from './workqueue.js';
export { LeaderElector, type LeaderElectorOptions } from './leader-election.js';
export { EventRecorder, objectReference, type EventRecorderOptions, type EventType } from './events.js';
