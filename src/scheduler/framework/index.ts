// The scheduling framework: extension points, cycle state, statuses and the node/pod views
// plugins work on.
export * from './types.js';
export * from './status.js';
export * from './resources.js';
export * from './pod-info.js';
export * from './node-info.js';
export * from './affinity-index.js';
