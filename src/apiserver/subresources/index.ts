// Every subresource the generic handlers serve, by name. Which kinds have which subresource is
// the registry's data (src/registry/index.ts); log and exec are streamed from the pod's node
// (pod-proxy.ts), not served here.
import type { SubresourceRest } from './rest.js';
import { approval } from './approval.js';
import { binding } from './binding.js';
import { eviction } from './eviction.js';
import { finalize } from './finalize.js';
import { scale } from './scale.js';
import { status } from './status.js';

export type { SubresourceRest, KindRef } from './rest.js';
export { SCALE_KIND } from './scale.js';

const rests: Record<string, SubresourceRest> = { approval, binding, eviction, finalize, scale, status };

/** The main resource when `name` is empty; undefined for a subresource not served here. */
export function subresourceRest(name: string | undefined): SubresourceRest | undefined {
  return name ? rests[name] : undefined;
}
