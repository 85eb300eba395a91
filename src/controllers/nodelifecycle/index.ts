// Node lifecycle: node health from heartbeats, condition taints, and taint-based eviction.
export { newNodeLifecycleController, NODE_LEASE_NAMESPACE, type NodeLifecycleOptions } from './node-lifecycle.js';
export { newTaintEvictionController, type TaintEvictionOptions } from './taint-eviction.js';
