// Container runtimes as the node agent sees them: the Runtime interface (CRI semantics) and its
// CRI implementation over containerd (./cri).
export type * from './runtime.js';
export { newestFirst } from './runtime.js';
export * from './cri/index.js';
