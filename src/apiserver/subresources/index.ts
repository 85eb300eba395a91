// Every subresource the generic handlers serve, by name. Which kinds have which subresource is
// the registry's data (src/registry/index.ts). The streamed ones (log, exec, attach, portforward,
// proxy) go to a node's agent through node-dialer.ts; what they are depends on the kind too
// (pods/proxy and services/proxy differ), so they are listed by resource and subresource.
import type { SubresourceRest } from './rest.js';
import { approval } from './approval.js';
import { binding } from './binding.js';
import { eviction } from './eviction.js';
import { finalize } from './finalize.js';
import { scale } from './scale.js';
import { status } from './status.js';
import { token } from './token.js';

import type { StreamRest } from './stream.js';
import { podLog } from './log.js';
import { podAttach, podExec } from './exec.js';
import { podPortForward } from './portforward.js';
import { podProxy } from './proxy.js';
import { serviceProxy } from './service-proxy.js';
import { nodeProxy } from './node-proxy.js';

export type { SubresourceRest, KindRef } from './rest.js';
export type { StreamRest, StreamCtx } from './stream.js';
export { SCALE_KIND } from './scale.js';

const rests: Record<string, SubresourceRest> = { approval, binding, eviction, finalize, scale, status, token };

/** The main resource when `name` is empty; undefined for a subresource not served here. */
export function subresourceRest(name: string | undefined): SubresourceRest | undefined {
  return name ? rests[name] : undefined;
}

const streams: Record<string, StreamRest> = {
  'pods/log': podLog,
  'pods/exec': podExec,
  'pods/attach': podAttach,
  'pods/portforward': podPortForward,
  'pods/proxy': podProxy,
  'services/proxy': serviceProxy,
  'nodes/proxy': nodeProxy,
};

/** The streamed subresource of a resource (its key, e.g. `pods`), or undefined. */
export function streamRest(resource: string, subresource: string | undefined): StreamRest | undefined {
  return subresource ? streams[`${resource}/${subresource}`] : undefined;
}
