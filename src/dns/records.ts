// The cluster zone's records, built from Services and EndpointSlices as the Kubernetes DNS
// specification (kubernetes/dns docs/specification.md, schema 1.1.0) lays them out. Every name
// the zone holds is a key of one map, so answering a query is one lookup. Each Service owns the
// names it gives rise to (its A/AAAA/CNAME name, the SRV names of its named ports and the empty
// `_proto` names above them, its endpoints' hostnames, the PTR names of its addresses, its
// namespace's `<ns>.svc` name); a change to a Service or one of its slices rebuilds only that
// Service's names.
import { isIPv4, isIPv6 } from 'node:net';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { canonicalName, dashedAddress, reverseName, undashIPv4 } from './names.js';

/** The schema version the TXT record dns-version.<zone> announces. */
export const DNS_SCHEMA_VERSION = '1.1.0';
/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface Srv {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** The records of one name; a name with none of them exists all the same (NOERROR, no data). */
export interface NameRecords {
  a?: string[];
  aaaa?: string[];
  cname?: string;
  srv?: Srv[];
  ptr?: string[];
  txt?: string[];
}

export type Lookup =
  /** The name is in the zone; its records (possibly none of the type asked). */
  | { kind: 'found'; records: NameRecords }
  | { kind: 'nxdomain' }
  /** Not the cluster's to answer: outside the zone, or a reverse name of no cluster address. */
  | { kind: 'forward' };

const EMPTY: NameRecords = Object.freeze({});

/** The names one Service gives rise to, with their records. */
export function serviceRecords(svc: Service, slices: Iterable<EndpointSlice>, zone: string): Map<string, NameRecords> {
  const out = new Map<string, NameRecords>();
  const ns = svc.metadata?.namespace ?? 'default';
  const base = `${svc.metadata?.name}.${ns}.svc.${zone}`.toLowerCase();
  const add = (name: string, r: NameRecords) => {
    const have = out.get(name);
    out.set(name, have ? mergeRecords(have, r) : r);
  };
  // The namespace's name exists while it has a Service (CoreDNS answers NOERROR for it).
  add(`${ns}.svc.${zone}`.toLowerCase(), EMPTY);
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') {
    if (spec.externalName) add(base, { cname: canonicalName(spec.externalName) });
    return out;
  }
  if (spec.clusterIP !== 'None') {
    const ips = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP ?? '']).filter((ip) => isIPv4(ip) || isIPv6(ip));
    // A Service whose address is not allocated yet has no records, as upstream has none for it.
    if (!ips.length) return out;
    add(base, { a: ips.filter((ip) => isIPv4(ip)), aaaa: ips.filter((ip) => isIPv6(ip)) });
    for (const ip of ips) add(reverseName(ip), { ptr: [base] });
    for (const p of spec.ports ?? []) {
      if (!p.name) continue; // unnamed ports have no SRV record
      const proto = `_${(p.protocol ?? 'TCP').toLowerCase()}.${base}`;
      add(proto, EMPTY);
      add(`_${p.name.toLowerCase()}.${proto}`, { srv: [{ priority: 0, weight: 100, port: p.port, target: base }] });
    }
    return out;
  }
  // Headless: the ready endpoints' addresses, under the Service's name and each endpoint's hostname.
  const tolerateUnready = !!spec.publishNotReadyAddresses;
  const seen = new Set<string>();
  const srvByName = new Map<string, Srv[]>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    for (const ep of slice.endpoints ?? []) {
      // A nil ready condition means ready (discovery/v1).
      if (!tolerateUnready && ep.conditions?.ready === false) continue;
      for (const ip of ep.addresses ?? []) {
        const v4 = isIPv4(ip);
        if (!v4 && !isIPv6(ip)) continue;
        // Without a hostname an endpoint is named by its dashed address, as CoreDNS does.
        const host = (ep.hostname || dashedAddress(ip)).toLowerCase();
        const key = `${host}/${ip}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const fqdn = `${host}.${base}`;
        const rec = v4 ? { a: [ip] } : { aaaa: [ip] };
        add(base, rec);
        add(fqdn, rec);
        add(reverseName(ip), { ptr: [fqdn] });
        for (const p of slice.ports ?? []) {
          if (!p.name || p.port === undefined) continue;
          const name = `_${p.name.toLowerCase()}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`;
          const list = srvByName.get(name) ?? [];
          if (!list.some((s) => s.target === fqdn && s.port === p.port)) list.push({ priority: 0, weight: 0, port: p.port!, target: fqdn });
          srvByName.set(name, list);
        }
      }
    }
  }
  for (const [name, list] of srvByName) {
    // Equal shares of 100, as CoreDNS weighs the records of one name.
    const weight = Math.max(1, Math.floor(100 / list.length));
    add(name.slice(name.indexOf('.') + 1), EMPTY);
    add(name, { srv: list.map((s) => ({ ...s, weight })) });
  }
  return out;
}

function concat<T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined {
  if (!a?.length) return b;
  if (!b?.length) return a;
  return [...a, ...b];
}

export function mergeRecords(x: NameRecords, y: NameRecords): NameRecords {
  if (x === EMPTY) return y;
  if (y === EMPTY) return x;
  const r: NameRecords = {};
  const a = concat(x.a, y.a);
  const aaaa = concat(x.aaaa, y.aaaa);
  const srv = concat(x.srv, y.srv);
  const ptr = concat(x.ptr, y.ptr);
  const txt = concat(x.txt, y.txt);
  if (a) r.a = a;
  if (aaaa) r.aaaa = aaaa;
  if (srv) r.srv = srv;
  if (ptr) r.ptr = ptr;
  if (txt) r.txt = txt;
  const cname = x.cname ?? y.cname;
  if (cname) r.cname = cname;
  return r;
}

function serviceKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? 'default'}/${name ?? ''}`;
}

export class ClusterRecords {
  readonly zone: string;
  /** Bumped on every change: answers cached by the handler are valid for one generation. */
  generation = 0;
  private readonly services = new Map<string, Service>();
  /** Service key → its slices by slice name. */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  /** Slice key → the Service key it was filed under (its label may change). */
  private readonly sliceOwner = new Map<string, string>();
  /** Name → the records each owning Service gives it. */
  private readonly names = new Map<string, Map<string, NameRecords>>();
  private readonly owned = new Map<string, Map<string, NameRecords>>();
  private readonly zoneSuffix: string;
  private readonly specialNames: Map<string, NameRecords>;

  constructor(zone = 'cluster.local') {
    this.zone = canonicalName(zone);
    this.zoneSuffix = `.${this.zone}`;
    this.specialNames = new Map<string, NameRecords>([
      [this.zone, EMPTY],
      [`svc.${this.zone}`, EMPTY],
      [`pod.${this.zone}`, EMPTY],
      [`dns-version.${this.zone}`, { txt: [DNS_SCHEMA_VERSION] }],
    ]);
  }

  setService(svc: Service): void {
    const key = serviceKey(svc.metadata?.namespace, svc.metadata?.name);
    this.services.set(key, svc);
    this.rebuild(key);
  }

  deleteService(svc: Service): void {
    const key = serviceKey(svc.metadata?.namespace, svc.metadata?.name);
    this.services.delete(key);
    this.rebuild(key);
  }

  setSlice(slice: EndpointSlice): void {
    const sliceKey = serviceKey(slice.metadata?.namespace, slice.metadata?.name);
    const svcName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const owner = svcName ? serviceKey(slice.metadata?.namespace, svcName) : undefined;
    const before = this.sliceOwner.get(sliceKey);
    if (before && before !== owner) this.dropSlice(sliceKey, before);
    if (!owner) return;
    this.sliceOwner.set(sliceKey, owner);
    let m = this.slices.get(owner);
    if (!m) this.slices.set(owner, (m = new Map()));
    m.set(slice.metadata?.name ?? '', slice);
    this.rebuild(owner);
  }

  deleteSlice(slice: EndpointSlice): void {
    const sliceKey = serviceKey(slice.metadata?.namespace, slice.metadata?.name);
    const owner = this.sliceOwner.get(sliceKey);
    if (owner) this.dropSlice(sliceKey, owner);
  }

  private dropSlice(sliceKey: string, owner: string): void {
    this.sliceOwner.delete(sliceKey);
    const m = this.slices.get(owner);
    m?.delete(sliceKey.slice(sliceKey.indexOf('/') + 1));
    if (m && !m.size) this.slices.delete(owner);
    this.rebuild(owner);
  }

  private rebuild(key: string): void {
    const svc = this.services.get(key);
    const next = svc ? serviceRecords(svc, this.slices.get(key)?.values() ?? [], this.zone) : new Map<string, NameRecords>();
    const prev = this.owned.get(key);
    if (prev) {
      for (const name of prev.keys()) {
        if (next.has(name)) continue;
        const owners = this.names.get(name);
        owners?.delete(key);
        if (owners && !owners.size) this.names.delete(name);
      }
    }
    for (const [name, r] of next) {
      let owners = this.names.get(name);
      if (!owners) this.names.set(name, (owners = new Map()));
      owners.set(key, r);
    }
    if (next.size) this.owned.set(key, next);
    else this.owned.delete(key);
    this.generation++;
  }

  /** Whether a (canonical) name is the cluster zone's to answer. */
  inZone(name: string): boolean {
    return name === this.zone || name.endsWith(this.zoneSuffix);
  }

  /** The records of a canonical name (lower case, no trailing dot). */
  lookup(name: string): Lookup {
    const owners = this.names.get(name);
    if (owners) {
      if (owners.size === 1) return { kind: 'found', records: owners.values().next().value! };
      let r: NameRecords = EMPTY;
      for (const x of owners.values()) r = mergeRecords(r, x);
      return { kind: 'found', records: r };
    }
    if (!this.inZone(name)) return { kind: 'forward' };
    const special = this.specialNames.get(name);
    if (special) return { kind: 'found', records: special };
    // <a-b-c-d>.<ns>.pod.<zone>: answered from the name alone, as CoreDNS's "pods insecure" (k3s's setting).
    const labels = name.slice(0, -this.zoneSuffix.length).split('.');
    if (labels.length === 3 && labels[2] === 'pod') {
      const ip = undashIPv4(labels[0]!);
      if (ip) return { kind: 'found', records: { a: [ip] } };
    }
    return { kind: 'nxdomain' };
  }

  /** How many names the zone holds (for tests and metrics). */
  get size(): number {
    return this.names.size;
  }
}
