// pods/log: streamed from the agent's /containerLogs/{namespace}/{pod}/{container} (kubelet's path).
import { methodNotAllowed } from '../errors.js';
import type { StreamRest } from './stream.js';
import { containerOf, forwardBools } from './container.js';

/** The query parameters of pods/log that the agent understands, booleans apart. */
const LOG_PARAMS = ['tailLines', 'sinceSeconds', 'sinceTime', 'limitBytes'];
const LOG_BOOLS = ['follow', 'previous', 'timestamps', 'insecureSkipTLSVerifyBackend'];

export const podLog: StreamRest = {
  async serve(c, res) {
    if (c.req.method !== 'GET') throw methodNotAllowed();
    const t = await c.dialer.podTarget(c.namespace!, c.name);
    const q = c.url.searchParams;
    const container = containerOf(t.pod, q);
    const query = new URLSearchParams();
    for (const k of LOG_PARAMS) for (const v of q.getAll(k)) query.append(k, v);
    forwardBools(q, query, LOG_BOOLS);
    const path = `/containerLogs/${encodeURIComponent(c.namespace!)}/${encodeURIComponent(c.name)}/${encodeURIComponent(container)}?${query}`;
    await c.dialer.forward(t, res, { method: 'GET', path, defaultResponseHeaders: { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache' } });
  },
};
