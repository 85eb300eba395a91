// pods/exec and pods/attach: an upgraded connection (SPDY, or WebSocket v4/v5) replayed to the
// agent's /exec/{namespace}/{pod}/{container} or /attach/... (kubelet's paths) and joined end to
// end, so kubectl talks to the runtime's streaming server through the API server and the agent.
import type { StreamRest } from './stream.js';
import { containerOf, forwardBools } from './container.js';

const STREAM_BOOLS = ['stdin', 'stdout', 'stderr', 'tty'];

function streamInto(verb: 'exec' | 'attach'): StreamRest {
  return {
    async upgrade(c, socket, head) {
      const t = await c.dialer.podTarget(c.namespace!, c.name);
      const q = c.url.searchParams;
      const container = containerOf(t.pod, q);
      const query = new URLSearchParams();
      if (verb === 'exec') for (const v of q.getAll('command')) query.append('command', v);
      forwardBools(q, query, STREAM_BOOLS);
      const path = `/${verb}/${encodeURIComponent(c.namespace!)}/${encodeURIComponent(c.name)}/${encodeURIComponent(container)}?${query}`;
      await c.dialer.join(t, c.req, socket, head, path);
    },
  };
}

export const podExec = streamInto('exec');
export const podAttach = streamInto('attach');
