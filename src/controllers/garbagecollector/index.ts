// The garbage collector: ownerReferences, cascading deletion (background, foreground, orphan).
export { newGarbageCollector, DEFAULT_IGNORED_RESOURCES, type GarbageCollectorOptions } from './garbage-collector.js';
