// nodes/proxy: `/api/v1/nodes/NAME[:PORT]/proxy/PATH` reaches PATH on the node's agent endpoint
// (upstream: the kubelet's API, /healthz, /containerLogs/..., with the API server's client
// certificate). Only the agent endpoint is reached: a port, if named, must be its port (upstream
// also dials other ports of the node's address; Berth's API server may have no route to them).
import { badRequest } from '../errors.js';
import type { StreamCtx, StreamRest } from './stream.js';
import { proxiedPath, splitSchemeNamePort } from './proxy.js';

async function nodeLocation(c: StreamCtx) {
  const id = splitSchemeNamePort(c.name);
  if (!id) throw badRequest(`invalid node request ${JSON.stringify(c.name)}`);
  const t = await c.dialer.nodeTarget(id.name);
  if ((id.port && id.port !== String(t.port)) || id.scheme !== 'http') {
    throw badRequest(`nodes/proxy reaches only the agent endpoint of node ${id.name} (https, port ${t.port}): name the node alone`);
  }
  return { t, path: proxiedPath(c.url) };
}

export const nodeProxy: StreamRest = {
  takesPath: true,
  async serve(c, res) {
    const { t, path } = await nodeLocation(c);
    await c.dialer.forward(t, res, { method: c.req.method ?? 'GET', path, headers: c.req.headers, body: c.req });
  },
  async upgrade(c, socket, head) {
    const { t, path } = await nodeLocation(c);
    await c.dialer.join(t, c.req, socket, head, path);
  },
};
