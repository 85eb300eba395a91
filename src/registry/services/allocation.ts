// Cluster IPs and node ports of Services, reserved as a write stores the Service and released
// when it no longer uses them, as upstream's service REST storage (alloc.go): values asked for
// are checked (in range, free) and taken, missing ones are picked; if the Service's own write
// then fails, what this write took is given back. Values a Service stops using are released
// only once the write that dropped them is stored.
import type { KObject } from '../../api/object.js';
import { goValue, invalid as fieldInvalid } from '../../api/field-errors.js';
import { internal, invalid } from '../../apiserver/errors.js';
import type { Store } from '../../storage/store.js';
import type { FinishWrite } from '../strategy.js';
import type { ServiceNetwork } from './network.js';
import { clusterIPRange, inRange, nodePortRange, pickFree, randomInUpperBand } from './ranges.js';
import { IP_RESERVATIONS, PORT_RESERVATIONS, Reservations, type Holder } from './reservations.js';
import { needsClusterIP, needsHealthCheckNodePort, needsNodePorts } from './needs.js';

type Any = Record<string, any>;

const RANDOM_PROBES = 4;

export interface ServiceAllocators {
  ips: Reservations;
  ports: Reservations;
}

export function serviceAllocators(store: Store, network: ServiceNetwork): ServiceAllocators {
  return { ips: new Reservations(store, IP_RESERVATIONS, clusterIPRange(network)), ports: new Reservations(store, PORT_RESERVATIONS, nodePortRange(network)) };
}

const specOf = (o: KObject): Any => ((o as Any).spec ??= {});
const holderOf = (o: KObject): Holder => ({
  namespace: o.metadata.namespace ?? '',
  name: o.metadata.name ?? '',
  uid: o.metadata.uid ?? '',
  since: new Date().toISOString(),
});
const goStrings = (a: string[]) => goValue(`[]string{${a.map((s) => JSON.stringify(s)).join(', ')}}`);

/** The cluster IP a Service holds in the range's terms (none for headless and ExternalName). */
export function heldIP(spec: Any, a: ServiceAllocators): number | undefined {
  if (!needsClusterIP(spec)) return undefined;
  const ip = spec.clusterIPs?.[0] ?? spec.clusterIP;
  return ip && ip !== 'None' ? a.ips.range.parse(ip) : undefined;
}

/** Node ports (and the health check node port) a Service holds. */
export function heldPorts(spec: Any): Set<number> {
  const out = new Set<number>();
  for (const p of (spec.ports ?? []) as Any[]) if (p?.nodePort) out.add(p.nodePort);
  if (spec.healthCheckNodePort) out.add(spec.healthCheckNodePort);
  return out;
}

/** One write's reservations: what it took (given back if the write fails) and what it drops (released once stored). */
class Txn {
  private readonly takenIPs: number[] = [];
  private readonly takenPorts: number[] = [];
  readonly dropIPs: number[] = [];
  readonly dropPorts: number[] = [];

  constructor(
    private readonly a: ServiceAllocators,
    private readonly obj: KObject,
    private readonly dryRun: boolean,
  ) {}

  private get holder() {
    return holderOf(this.obj);
  }

  /** Takes a value asked for by the client; 422 when it is out of range or someone else's. */
  async takeRequested(kind: 'ip' | 'port', v: number, error: (why: string) => Error): Promise<void> {
    const r = kind === 'ip' ? this.a.ips : this.a.ports;
    if (!inRange(r.range, v)) {
      throw error(
        kind === 'ip'
          ? `the provided IP (${r.range.format(v)}) is not in the valid range. The range of valid IPs is ${r.range.describe}`
          : `provided port is not in the valid range. The range of valid ports is ${r.range.describe}`,
      );
    }
    const taken = kind === 'ip' ? 'provided IP is already allocated' : 'provided port is already allocated';
    if (this.dryRun) {
      const held = await r.get(v);
      if (held && held.holder.uid !== this.obj.metadata.uid) throw error(taken);
      return;
    }
    const existing = await r.get(v);
    const mine = existing?.holder.uid === this.obj.metadata.uid;
    if (!(await r.reserve(v, this.holder))) throw error(taken);
    if (!mine) (kind === 'ip' ? this.takenIPs : this.takenPorts).push(v);
  }

  /** Picks and takes a free value; 500 when the range is full, as upstream. */
  async takeNext(kind: 'ip' | 'port'): Promise<number> {
    const r = kind === 'ip' ? this.a.ips : this.a.ports;
    // A few random values of the upper band first, each one store operation: in a range that
    // is not nearly full one of them is free, and no create reads every reservation (10 000
    // Services would make that quadratic). Then the full scan.
    for (let i = 0; i < RANDOM_PROBES; i++) {
      const v = randomInUpperBand(r.range);
      if (v === undefined) break;
      if (this.dryRun ? !(await r.get(v)) : await r.reserve(v, this.holder)) {
        if (!this.dryRun) (kind === 'ip' ? this.takenIPs : this.takenPorts).push(v);
        return v;
      }
    }
    const taken = await r.taken();
    for (;;) {
      const v = pickFree(r.range, taken);
      if (v === undefined) throw internal(kind === 'ip' ? 'failed to allocate a serviceIP: range is full' : 'failed to allocate a nodePort: range is full');
      if (this.dryRun) return v;
      if (await r.reserve(v, this.holder)) {
        (kind === 'ip' ? this.takenIPs : this.takenPorts).push(v);
        return v;
      }
      // Another writer took it between the list and the create: pick again.
      taken.add(v);
    }
  }

  async revert(): Promise<void> {
    const uid = this.obj.metadata.uid ?? '';
    await Promise.all([...this.takenIPs.map((v) => this.a.ips.release(v, uid)), ...this.takenPorts.map((v) => this.a.ports.release(v, uid))]);
  }

  async commit(): Promise<void> {
    const uid = this.obj.metadata.uid ?? '';
    await Promise.all([...this.dropIPs.map((v) => this.a.ips.release(v, uid)), ...this.dropPorts.map((v) => this.a.ports.release(v, uid))]);
  }

  finish(): FinishWrite {
    return async (stored) => (stored ? this.commit() : this.revert());
  }
}

const invalidSvc = (obj: KObject, field: string, value: unknown) => (why: string) =>
  invalid('Service', '', obj.metadata.name ?? '', [fieldInvalid(field, value, why)]);

async function allocateClusterIP(txn: Txn, obj: KObject, a: ServiceAllocators): Promise<void> {
  const spec = specOf(obj);
  const requested: string | undefined = spec.clusterIPs?.[0] ?? spec.clusterIP;
  if (requested === 'None') return;
  if (requested) {
    const v = a.ips.range.parse(requested);
    const fail = (why: string) => invalidSvc(obj, 'spec.clusterIPs', goStrings(spec.clusterIPs ?? [requested]))(`failed to allocate IP ${requested}: ${why}`);
    if (v === undefined) throw fail(`the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${a.ips.range.describe}`);
    await txn.takeRequested('ip', v, fail);
    return;
  }
  const ip = a.ips.range.format(await txn.takeNext('ip'));
  spec.clusterIP = ip;
  spec.clusterIPs = [ip];
}

/**
 * Node ports as upstream's initNodePorts: ports of one number (TCP and UDP of port 53) share one
 * node port; a value given is taken, a missing one picked (unless a LoadBalancer opts out).
 * `already` are values the Service held before this write: kept without asking again.
 */
async function allocateNodePorts(txn: Txn, obj: KObject, already: Set<number>): Promise<void> {
  const spec = specOf(obj);
  const ports: Any[] = spec.ports ?? [];
  const allocate = needsNodePorts(spec);
  const byServicePort = new Map<number, number>();
  const done = new Set<number>(already);
  const take = async (v: number, i: number) => {
    if (done.has(v)) return;
    await txn.takeRequested('port', v, invalidSvc(obj, `spec.ports[${i}].nodePort`, v));
    done.add(v);
  };
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i]!;
    if (!p.nodePort && !allocate) continue;
    const shared = byServicePort.get(p.port);
    if (shared !== undefined) {
      if (!p.nodePort) p.nodePort = shared;
      else await take(p.nodePort, i);
      continue;
    }
    // A later port of the same number may carry the value the client asked for.
    const requested = p.nodePort || ports.slice(i + 1).find((q) => q.port === p.port && q.nodePort)?.nodePort;
    if (requested) {
      await take(requested, i);
      p.nodePort = requested;
    } else {
      p.nodePort = await txn.takeNext('port');
      done.add(p.nodePort);
    }
    byServicePort.set(p.port, p.nodePort);
  }
  if (needsHealthCheckNodePort(spec)) {
    if (spec.healthCheckNodePort) {
      const v = spec.healthCheckNodePort;
      if (!done.has(v))
        await txn.takeRequested('port', v, (why) =>
          invalidSvc(obj, 'spec.healthCheckNodePort', v)(`failed to allocate requested HealthCheck NodePort ${v}: ${why}`),
        );
    } else {
      spec.healthCheckNodePort = await txn.takeNext('port');
    }
  }
}

/** Reserves what a new Service needs (filling in clusterIP/clusterIPs and node ports). */
export async function allocateCreate(obj: KObject, a: ServiceAllocators, dryRun: boolean): Promise<FinishWrite> {
  const txn = new Txn(a, obj, dryRun);
  try {
    if (needsClusterIP(specOf(obj))) await allocateClusterIP(txn, obj, a);
    await allocateNodePorts(txn, obj, new Set());
  } catch (e) {
    await txn.revert();
    throw e;
  }
  return txn.finish();
}

/** Reserves what an update adds (a type change to NodePort, a new port) and notes what it drops. */
export async function allocateUpdate(next: KObject, current: KObject, a: ServiceAllocators, dryRun: boolean): Promise<FinishWrite> {
  const txn = new Txn(a, next, dryRun);
  const spec = specOf(next);
  const old: Any = (current as Any).spec ?? {};
  try {
    const oldIP = heldIP(old, a);
    if (needsClusterIP(spec) && oldIP === undefined) await allocateClusterIP(txn, next, a);
    const newIP = heldIP(spec, a);
    if (oldIP !== undefined && oldIP !== newIP) txn.dropIPs.push(oldIP);
    const oldPorts = heldPorts(old);
    await allocateNodePorts(txn, next, oldPorts);
    const newPorts = heldPorts(spec);
    for (const v of oldPorts) if (!newPorts.has(v)) txn.dropPorts.push(v);
  } catch (e) {
    await txn.revert();
    throw e;
  }
  return txn.finish();
}

/** Gives back everything a deleted Service held (values someone else holds by now stay theirs). */
export async function releaseAll(obj: KObject, a: ServiceAllocators): Promise<void> {
  const spec: Any = (obj as Any).spec ?? {};
  const uid = obj.metadata.uid ?? '';
  const ip = heldIP(spec, a);
  await Promise.all([...(ip !== undefined ? [a.ips.release(ip, uid)] : []), ...[...heldPorts(spec)].map((v) => a.ports.release(v, uid))]);
}
