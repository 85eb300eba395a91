// The admission chain (chain.ts), its plugins (plugins.ts, plugins/) and what they see (types.ts).
export { AdmissionChain } from './chain.js';
export { admissionPlugins, defaultAdmissionChain } from './plugins.js';
export type { AdmissionAttributes, AdmissionLookups, AdmissionPlugin, Operation } from './types.js';
export { admissionChainFromFlags } from './plugin-flags.js';
