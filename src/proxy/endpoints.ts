// The endpoints of one Service port as the proxy sees them (upstream pkg/proxy's endpointslice
// cache and CategorizeEndpoints): collected from the Service's EndpointSlices, then split into
// the ones cluster-wide traffic may use and the ones on this node.
import type { ServicePort } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ProxyEndpoint {
  ip: string;
  port: number;
  nodeName?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/**
 * The endpoints of a Service port: the IPv4 addresses of the slices whose port has the Service
 * port's name and protocol. Conditions default as upstream reads them: ready and serving when
 * unset, terminating only when set. One ip:port appears once (the first slice's copy wins).
 */
export function endpointsForPort(sp: ServicePort, slices: readonly EndpointSlice[]): ProxyEndpoint[] {
  const name = sp.name ?? '';
  const protocol = sp.protocol ?? 'TCP';
  const out: ProxyEndpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const p = (slice.ports ?? []).find((q) => (q.name ?? '') === name && (q.protocol ?? 'TCP') === protocol);
    if (!p || !Number.isInteger(p.port) || p.port! < 1 || p.port! > 65535) continue;
    for (const ep of slice.endpoints ?? []) {
      const ip = ep.addresses?.[0];
      // An address nft cannot parse would fail every transaction holding it, the full resync too.
      if (!ip || !isIPv4(ip)) continue;
      const key = `${ip}:${p.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const ready = ep.conditions?.ready ?? true;
      out.push({
        ip,
        port: p.port!,
        nodeName: ep.nodeName,
        ready,
        serving: ep.conditions?.serving ?? ready,
        terminating: ep.conditions?.terminating ?? false,
      });
    }
  }
  // A stable order: the same endpoints give the same rules whatever order the slices came in.
  return out.sort((a, b) => compareIp(a.ip, b.ip) || a.port - b.port);
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function compareIp(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

export interface Categorized {
  /** What cluster-policy traffic goes to: the ready endpoints, or the serving terminating ones when none is ready. */
  cluster: ProxyEndpoint[];
  /** The same choice among this node's endpoints, for Local policies. */
  local: ProxyEndpoint[];
  /** Whether any endpoint could take traffic at all (decides reject versus drop). */
  hasAny: boolean;
}

/** upstream CategorizeEndpoints, without topology hints. */
export function categorize(eps: readonly ProxyEndpoint[], nodeName: string, usesCluster: boolean, usesLocal: boolean): Categorized {
  let cluster: ProxyEndpoint[] = [];
  let local: ProxyEndpoint[] = [];
  let hasAny = false;
  const fallback = (e: ProxyEndpoint) => e.serving && e.terminating;
  if (usesCluster) {
    cluster = eps.filter((e) => e.ready);
    if (!cluster.length) cluster = eps.filter(fallback);
    hasAny = cluster.length > 0;
  }
  if (usesLocal) {
    const mine = eps.filter((e) => e.nodeName === nodeName);
    if (eps.some((e) => e.ready || fallback(e))) hasAny = true;
    local = mine.filter((e) => e.ready);
    if (!local.length) local = mine.filter(fallback);
  }
  return { cluster, local, hasAny };
}
