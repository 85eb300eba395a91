// The endpoints of the default/kubernetes Service: the live API servers (upstream's lease
// endpoint reconciler, pkg/controlplane/reconcilers/lease.go). It runs in every `berth server`,
// not in the controller manager: each server keeps a Lease of its own in kube-system (upstream
// keeps TTL keys under /masterleases; Leases are the same thing through the API, visible to
// kubectl) and renews it; every server writes the Endpoints and the EndpointSlice named
// kubernetes from the Leases that have not expired, and deletes the expired ones, so a server
// that died leaves the Service within a lease duration.
import { createHash } from 'node:crypto';
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { EndpointAddress, Endpoints } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { isAlreadyExists, isNotFound, microTime, parseTime, resources, type RestClient } from '../client/index.js';
import { deepEqual } from '../api/object.js';

export const APISERVER_IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
export const APISERVER_IDENTITY = 'kube-apiserver';
/** Where a server's Lease says it can be reached. */
export const ADDRESS_ANNOTATION = 'endpoints.berth.dev/address';
export const PORT_ANNOTATION = 'endpoints.berth.dev/port';
/** The apiserver's Endpoints are mirrored by nobody: its slice is written alongside. */
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const NS = 'kube-system';
const SERVICE = { namespace: 'default', name: 'kubernetes' } as const;
/** Upstream's master lease TTL and endpoint reconcile interval. */
export const DEFAULT_LEASE_SECONDS = 15;
export const DEFAULT_RECONCILE_INTERVAL_MS = 10_000;

export interface ApiServerEndpointsOptions {
  client: RestClient;
  /** The address pods reach this server on (never a loopback address). */
  address: string;
  port: number;
  leaseSeconds?: number;
  intervalMs?: number;
  now?: () => Date;
  log?: (m: string) => void;
}

/** The Lease name of a server at address:port. */
export function leaseNameFor(address: string, port: number): string {
  return `apiserver-${createHash('sha256').update(`${address}:${port}`).digest('hex').slice(0, 16)}`;
}

interface Live {
  ip: string;
  port: number;
}

/** Live servers' addresses and ports from their Leases; expired Leases are returned apart. */
export function partitionLeases(leases: readonly Lease[], now: Date): { live: Live[]; expired: Lease[] } {
  const live: Live[] = [];
  const expired: Lease[] = [];
  for (const l of leases) {
    if (l.metadata?.labels?.[APISERVER_IDENTITY_LABEL] !== APISERVER_IDENTITY) continue;
    const ip = l.metadata.annotations?.[ADDRESS_ANNOTATION];
    const port = Number(l.metadata.annotations?.[PORT_ANNOTATION]);
    if (!ip || !Number.isInteger(port)) continue;
    const renewed = parseTime(l.spec?.renewTime)?.getTime() ?? 0;
    if (renewed + (l.spec?.leaseDurationSeconds ?? DEFAULT_LEASE_SECONDS) * 1000 < now.getTime()) expired.push(l);
    else live.push({ ip, port });
  }
  return { live, expired };
}

function compareIPv4(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The Endpoints subsets of the live servers: one subset per port, addresses sorted. */
export function apiServerSubsets(live: readonly Live[]): Endpoints['subsets'] {
  const byPort = new Map<number, Set<string>>();
  for (const { ip, port } of live) byPort.set(port, (byPort.get(port) ?? new Set()).add(ip));
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, ips]) => ({
      addresses: [...ips].sort(compareIPv4).map((ip): EndpointAddress => ({ ip })),
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    }));
}

/**
 * The kubernetes EndpointSlice. A slice has one set of ports; servers normally share their
 * port, and when they do not, the slice lists the port most of them use (the lowest on a tie),
 * while Endpoints lists them all.
 */
export function apiServerSlice(live: readonly Live[]): Pick<EndpointSlice, 'addressType' | 'endpoints' | 'ports'> {
  const subsets = apiServerSubsets(live) ?? [];
  let best = subsets[0];
  for (const s of subsets) if ((s.addresses?.length ?? 0) > (best?.addresses?.length ?? 0)) best = s;
  return {
    addressType: 'IPv4',
    endpoints: (best?.addresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: true } })),
    ports: best ? [{ name: 'https', port: best.ports![0]!.port, protocol: 'TCP' }] : [],
  };
}

export class ApiServerEndpointsReconciler {
  private readonly leaseName: string;
  private readonly leaseSeconds: number;
  private readonly now: () => Date;
  private readonly log: (m: string) => void;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly o: ApiServerEndpointsOptions) {
    this.leaseName = leaseNameFor(o.address, o.port);
    this.leaseSeconds = o.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    this.now = o.now ?? (() => new Date());
    this.log = o.log ?? ((m) => process.stderr.write(`berth: kubernetes endpoints: ${m}\n`));
  }

  /** Renews this server's Lease and rewrites the endpoints now, then every interval. */
  start(): void {
    const tick = () => {
      this.running = this.reconcile()
        .catch((e) => this.log((e as Error).message))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS);
        });
    };
    tick();
  }

  /** Stops renewing and takes this server out of the endpoints (a graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.o.client.delete({ ...resources.leases, namespace: NS, name: this.leaseName }).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
    await this.writeEndpoints(false);
  }

  /** One pass: renew the own Lease, drop expired ones, write Endpoints and EndpointSlice. */
  async reconcile(): Promise<void> {
    await this.renewLease();
    await this.writeEndpoints(true);
  }

  private async renewLease(): Promise<void> {
    const ref = { ...resources.leases, namespace: NS, name: this.leaseName };
    const spec = { holderIdentity: this.leaseName, leaseDurationSeconds: this.leaseSeconds, renewTime: microTime(this.now()) };
    const metadata = {
      name: this.leaseName,
      namespace: NS,
      labels: { [APISERVER_IDENTITY_LABEL]: APISERVER_IDENTITY },
      annotations: { [ADDRESS_ANNOTATION]: this.o.address, [PORT_ANNOTATION]: String(this.o.port) },
    };
    try {
      const cur = await this.o.client.get<Lease>(ref);
      await this.o.client.update<Lease>(ref, { ...cur, metadata: { ...cur.metadata, ...metadata }, spec: { ...cur.spec, ...spec } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await this.o.client
        .create<Lease>(
          { ...resources.leases, namespace: NS },
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata, spec: { ...spec, acquireTime: spec.renewTime } },
        )
        .catch((err) => {
          if (!isAlreadyExists(err)) throw err;
        });
    }
  }

  private async writeEndpoints(includeSelf: boolean): Promise<void> {
    const client = this.o.client;
    const list = await client.list<Lease>({ ...resources.leases, namespace: NS }, { labelSelector: `${APISERVER_IDENTITY_LABEL}=${APISERVER_IDENTITY}` });
    const { live, expired } = partitionLeases(list.items, this.now());
    for (const l of expired) {
      // Only the Lease that expired: a server that renewed meanwhile keeps its own.
      await client
        .delete({ ...resources.leases, namespace: NS, name: l.metadata!.name! }, { preconditions: { resourceVersion: l.metadata!.resourceVersion } })
        .catch(() => {});
      this.log(
        `API server ${l.metadata?.annotations?.[ADDRESS_ANNOTATION]}:${l.metadata?.annotations?.[PORT_ANNOTATION]} stopped renewing its lease; removed from the kubernetes endpoints`,
      );
    }
    const others = live.filter((l) => l.ip !== this.o.address || l.port !== this.o.port);
    const servers = includeSelf ? [...others, { ip: this.o.address, port: this.o.port }] : others;
    const subsets = apiServerSubsets(servers);
    await this.upsert<Endpoints>(
      resources.endpoints,
      { apiVersion: 'v1', kind: 'Endpoints', metadata: { ...SERVICE, labels: { [SKIP_MIRROR_LABEL]: 'true' } }, subsets },
      (cur) => ({
        changed: !deepEqual(JSON.parse(JSON.stringify(cur.subsets ?? [])), subsets) || cur.metadata?.labels?.[SKIP_MIRROR_LABEL] !== 'true',
        next: { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata?.labels, [SKIP_MIRROR_LABEL]: 'true' } }, subsets },
      }),
    );
    const slice = apiServerSlice(servers);
    const labels = { 'kubernetes.io/service-name': SERVICE.name };
    await this.upsert<EndpointSlice>(
      resources.endpointslices,
      { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { ...SERVICE, labels }, ...slice },
      (cur) => ({
        changed:
          !deepEqual(JSON.parse(JSON.stringify({ e: cur.endpoints ?? [], p: cur.ports ?? [] })), { e: slice.endpoints, p: slice.ports }) ||
          cur.metadata?.labels?.['kubernetes.io/service-name'] !== SERVICE.name,
        next: { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata?.labels, ...labels } }, ...slice },
      }),
    );
  }

  private async upsert<T extends Endpoints | EndpointSlice>(
    gvr: typeof resources.endpoints | typeof resources.endpointslices,
    fresh: T,
    diff: (cur: T) => { changed: boolean; next: T },
  ): Promise<void> {
    const ref = { ...gvr, ...SERVICE };
    let cur: T;
    try {
      cur = await this.o.client.get<T>(ref);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await this.o.client.create<T>({ ...gvr, namespace: SERVICE.namespace }, fresh).catch((err) => {
        if (!isAlreadyExists(err)) throw err;
      });
      return;
    }
    const { changed, next } = diff(cur);
    if (changed) await this.o.client.update<T>(ref, next);
  }
}
