// The repair pass over cluster IP and node port reservations, as upstream's repair controllers
// (pkg/registry/core/service/ipallocator/controller, portallocator/controller), run at start
// and then periodically: every value a Service holds gets its reservation back (a store
// restored from a backup, a Service written before reservations existed), a reservation no
// Service holds is released once older than any write in flight could be (a server that died
// between reserving and storing), and a value held by two Services is reported (the oldest
// keeps the reservation; upstream cannot fix it either without changing a Service).
import type { KObject } from '../../api/object.js';
import type { Store } from '../../storage/store.js';
import type { ServiceNetwork } from './network.js';
import { heldIP, heldPorts, serviceAllocators } from './allocation.js';
import { inRange } from './ranges.js';
import type { Holder, Reservations } from './reservations.js';

type Any = Record<string, any>;

export interface RepairReport {
  /** Reservations written for values Services held without one (or with another's). */
  restored: string[];
  /** Reservations released because no Service holds them. */
  released: string[];
  /** Values two or more Services hold: "10.43.0.5: default/a, default/b". */
  doubled: string[];
  /** Values Services hold outside the configured range (after the range changed). */
  outOfRange: string[];
}

/** Upstream waits several passes before releasing a leak; a minute covers any write in flight. */
export const LEAK_GRACE_MS = 60_000;

const SERVICES_PREFIX = '/registry/services/';

function young(since: string, now: number): boolean {
  const t = Date.parse(since);
  return Number.isFinite(t) && now - t < LEAK_GRACE_MS;
}

async function listServices(store: Store): Promise<KObject[]> {
  const { items } = await store.list(SERVICES_PREFIX);
  const out: KObject[] = [];
  for (const kv of items) {
    try {
      out.push(JSON.parse(kv.value) as KObject);
    } catch {
      // Not a Service this server can read (an encrypted value it has no key for): skip it.
    }
  }
  // The oldest holder of a doubled value keeps it.
  return out.sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
}

const holderOf = (s: KObject): Holder => ({
  namespace: s.metadata.namespace ?? '',
  name: s.metadata.name ?? '',
  uid: s.metadata.uid ?? '',
  since: new Date().toISOString(),
});
const nameOf = (s: KObject) => `${s.metadata.namespace}/${s.metadata.name}`;

async function repairOne(r: Reservations, wanted: Map<number, KObject[]>, now: number, report: RepairReport): Promise<void> {
  const existing = new Map((await r.all()).map((x) => [x.value, x]));
  for (const [v, holders] of wanted) {
    const label = r.range.format(v);
    if (!inRange(r.range, v)) {
      report.outOfRange.push(`${label}: ${holders.map(nameOf).join(', ')}`);
      continue;
    }
    if (holders.length > 1) report.doubled.push(`${label}: ${holders.map(nameOf).join(', ')}`);
    const res = existing.get(v);
    if (res && holders.some((h) => h.metadata.uid === res.holder.uid)) continue;
    // A young reservation of someone else may be a Service created since the list was read.
    if (res && young(res.holder.since, now)) continue;
    const ok = res ? await r.reassign(res, holderOf(holders[0]!)) : await r.reserve(v, holderOf(holders[0]!));
    if (ok) report.restored.push(`${label}: ${nameOf(holders[0]!)}`);
  }
  for (const [v, res] of existing) {
    if (wanted.has(v)) continue;
    if (young(res.holder.since, now)) continue;
    if (await r.drop(res)) report.released.push(`${r.range.format(v)}: ${res.holder.namespace}/${res.holder.name}`);
  }
}

export async function repairServiceAllocations(store: Store, network: ServiceNetwork, now = Date.now()): Promise<RepairReport> {
  const a = serviceAllocators(store, network);
  const services = await listServices(store);
  const ips = new Map<number, KObject[]>();
  const ports = new Map<number, KObject[]>();
  for (const s of services) {
    const spec: Any = (s as Any).spec ?? {};
    const ip = heldIP(spec, a);
    if (ip !== undefined) ips.set(ip, [...(ips.get(ip) ?? []), s]);
    for (const p of heldPorts(spec)) ports.set(p, [...(ports.get(p) ?? []), s]);
  }
  const report: RepairReport = { restored: [], released: [], doubled: [], outOfRange: [] };
  await repairOne(a.ips, ips, now, report);
  await repairOne(a.ports, ports, now, report);
  return report;
}
