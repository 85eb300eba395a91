// services/proxy: `/api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/PATH` reaches PATH on
// one ready endpoint of the Service, chosen at random (upstream's
// pkg/registry/core/service/storage ResourceLocation: the port is a service port's name, or its
// number standing for that name; the endpoint is a ready address of the Endpoints object that has
// that port, backed by a pod). Like pods/proxy the request goes through the agent of the
// endpoint's pod, which reaches its pods (proxy.ts).
import type { KObject } from '../../api/object.js';
import { resourceByKey } from '../../registry/index.js';
import { ApiError, badRequest } from '../errors.js';
import type { StreamCtx, StreamRest } from './stream.js';
import { proxiedPath, proxyToPod, splitSchemeNamePort, type PodLocation } from './proxy.js';

interface EndpointAddress {
  ip: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}
interface EndpointSubset {
  addresses?: EndpointAddress[];
  ports?: Array<{ name?: string; port: number }>;
}

const unavailable = (message: string) => new ApiError(503, 'ServiceUnavailable', message);

/** The name of the service port a request's port part names ('' when the request names none). */
export function servicePortName(svc: KObject, svcName: string, port: string): string {
  if (!/^\d+$/.test(port)) return port;
  const ports = (svc.spec as { ports?: Array<{ name?: string; port: number }> } | undefined)?.ports ?? [];
  const found = ports.find((p) => p.port === Number(port));
  if (!found) throw unavailable(`no service port ${port} found for service "${svcName}"`);
  return found.name ?? '';
}

/**
 * A ready address of the Endpoints that serves the named port, backed by a pod, chosen at random
 * (upstream starts at a random subset and address); undefined when there is none.
 */
export function pickEndpoint(
  subsets: EndpointSubset[],
  portName: string,
  random: () => number = Math.random,
): { pod: string; namespace?: string; ip: string; port: number } | undefined {
  const start = Math.floor(random() * subsets.length);
  for (let i = 0; i < subsets.length; i++) {
    const ss = subsets[(start + i) % subsets.length]!;
    const port = ss.ports?.find((p) => (p.name ?? '') === portName);
    const addrs = (ss.addresses ?? []).filter((a) => a.targetRef?.kind === 'Pod' && a.targetRef.name);
    if (!port || !addrs.length) continue;
    const a = addrs[Math.floor(random() * addrs.length)]!;
    return { pod: a.targetRef!.name!, namespace: a.targetRef!.namespace, ip: a.ip, port: port.port };
  }
  return undefined;
}

async function serviceLocation(c: StreamCtx): Promise<PodLocation> {
  const id = splitSchemeNamePort(c.name);
  if (!id) throw badRequest(`invalid service request ${JSON.stringify(c.name)}`);
  const svc = await c.dialer.storage.get(c.r, c.namespace, id.name);
  const portName = servicePortName(svc, id.name, id.port);
  let endpoints: KObject;
  try {
    endpoints = await c.dialer.storage.get(resourceByKey('endpoints'), c.namespace, id.name);
  } catch (e) {
    if (e instanceof ApiError && e.code === 404) throw unavailable(`no endpoints available for service "${id.name}"`);
    throw e;
  }
  const subsets = ((endpoints as { subsets?: EndpointSubset[] }).subsets ?? []) as EndpointSubset[];
  if (!subsets.length) throw unavailable(`no endpoints available for service "${id.name}"`);
  const ep = pickEndpoint(subsets, portName);
  if (!ep) throw unavailable(`no endpoints available for service "${c.name}"`);
  return { namespace: ep.namespace ?? c.namespace!, pod: ep.pod, scheme: id.scheme as 'http' | 'https', port: ep.port, pathAndQuery: proxiedPath(c.url) };
}

export const serviceProxy: StreamRest = {
  takesPath: true,
  async serve(c, res) {
    await proxyToPod(c.dialer, await serviceLocation(c), c.req, c.url, { res });
  },
  async upgrade(c, socket, head) {
    await proxyToPod(c.dialer, await serviceLocation(c), c.req, c.url, { socket, head });
  },
};
