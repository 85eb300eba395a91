// The proxy's model: what nftables must hold for one Service, given its EndpointSlices and the
// node, as data (chains with their rules, elements of the table's maps and sets, affinity sets).
// It follows kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go): a ClusterIP, external
// IP or load-balancer IP lands in verdict map service-ips, a NodePort in service-nodeports, both
// jumping to per-service chains; a service without usable endpoints gets an entry in a
// no-endpoint map instead (reject, or drop for a Local policy with no local endpoint).
// One difference, for speed with nft 1.0.6 (Debian 12): the endpoint is picked and DNATed in the
// service chain through the shared map endpoint-dnat-<protocol> (`numgen random mod N offset K`, a block of
// keys per chain from a SlotAllocator) rather than through one chain per endpoint and an
// anonymous vmap per service; nft reads every chain and set of the table before each
// transaction, so 100 000 endpoint chains made each change take seconds. Hairpin masquerade is
// then one rule on the set endpoint-hairpin (ip . ip of every endpoint). Services with
// sessionAffinity ClientIP keep upstream's endpoint chains (they must update the affinity set of
// the endpoint chosen), picked through the shared verdict map endpoint-choices.
import type { Service, ServicePort } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { categorize, endpointsForPort, type ProxyEndpoint } from './endpoints.js';
import { affinitySet, clusterChain, endpointChain, externalChain, firewallChain, localChain, servicePortId } from './names.js';
import { parseCidrSloppy } from '../api/cidr-sloppy.js';
import { cidrContains, parseCidr, parseIp } from '../api/cidr.js';
import type { SlotAllocator } from './slots.js';

/** The table's fixed maps and sets (see base.ts), which service rules add elements to. */
export const SERVICE_IPS = 'service-ips';
export const SERVICE_NODEPORTS = 'service-nodeports';
export const NO_ENDPOINT_SERVICES = 'no-endpoint-services';
export const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
export const CLUSTER_IPS = 'cluster-ips';
/** Per protocol: nft 1.0.6 cannot extend a map typed `th dport` in a later transaction. */
export const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
export const endpointDnatMap = (proto: string) => `endpoint-dnat-${proto}`;
export const ENDPOINT_CHOICES = 'endpoint-choices';
/** Elements several Services may hold at once (one endpoint serving two Services): counted, see render.ts. */
export const ENDPOINT_HAIRPIN = 'endpoint-hairpin';
export const NODEPORT_IPS = 'nodeport-ips';
/** Load-balancer IP, protocol and port -> the Service port's firewall chain (loadBalancerSourceRanges). */
export const FIREWALL_IPS = 'firewall-ips';
export const MARK_FOR_MASQUERADE = 'mark-for-masquerade';
export const REJECT_CHAIN = 'reject-chain';

/** upstream's default sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT = 10800;

export interface ProxyContext {
  nodeName: string;
  /** The node's addresses: NodePorts answer on them (upstream nftables mode: the primary IPs, never 127.0.0.1). */
  nodeIPs: string[];
  /** The cluster's pod range: traffic to a ClusterIP from outside it is masqueraded, as kube-proxy's --cluster-cidr. */
  clusterCIDR?: string;
  /** The Service range: traffic to an unallocated ClusterIP is dropped. */
  serviceCIDR?: string;
}

/** One element of a map (value: its verdict) or a set (no value). */
export interface Element {
  set: string;
  key: string;
  value?: string;
}

export interface ServiceRules {
  /** Chain name -> its rules, in order. */
  chains: Map<string, string[]>;
  elements: Element[];
  /** Affinity set name -> timeout in seconds. */
  affinitySets: Map<string, number>;
  /** The SlotAllocator ids (chain names) whose key blocks these rules use. */
  slots: string[];
}

const isIPv4 = (s: string | undefined): s is string => !!s && /^\d{1,3}(\.\d{1,3}){3}$/.test(s);

/** Namespace/name of the Service a slice belongs to, or undefined. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const name = slice.metadata?.labels?.['kubernetes.io/service-name'];
  return name ? `${slice.metadata?.namespace ?? ''}/${name}` : undefined;
}

/** Whether the proxy handles a Service at all: not headless, not ExternalName, an IPv4 ClusterIP. */
export function isProxied(svc: Service): boolean {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return false;
  return isIPv4(spec.clusterIP);
}

/** Everything the table must hold for svc (empty when the proxy ignores it). */
export function serviceRules(svc: Service, slices: readonly EndpointSlice[], ctx: ProxyContext, slots: SlotAllocator): ServiceRules {
  const out: ServiceRules = { chains: new Map(), elements: [], affinitySets: new Map(), slots: [] };
  if (!isProxied(svc)) return out;
  for (const sp of svc.spec?.ports ?? []) servicePortRules(svc, sp, endpointsForPort(sp, slices), ctx, slots, out);
  // An endpoint behind several ports of the Service is one hairpin pair (render.ts counts holders per Service).
  const pairs = new Set<string>();
  out.elements = out.elements.filter((e) => e.set !== ENDPOINT_HAIRPIN || (!pairs.has(e.key) && !!pairs.add(e.key)));
  return out;
}

function servicePortRules(svc: Service, sp: ServicePort, eps: ProxyEndpoint[], ctx: ProxyContext, slots: SlotAllocator, out: ServiceRules): void {
  const spec = svc.spec!;
  const proto = (sp.protocol ?? 'TCP').toLowerCase();
  const port = sp.port;
  const id = servicePortId(svc.metadata?.namespace ?? '', svc.metadata?.name ?? '', proto, sp.name ?? '');
  const clusterIP = spec.clusterIP!;
  const nodePort = (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && sp.nodePort ? sp.nodePort : 0;
  const externalIPs = (spec.externalIPs ?? []).filter(isIPv4);
  const lbIPs = spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter(isIPv4) : [];
  const externallyAccessible = nodePort > 0 || externalIPs.length > 0 || lbIPs.length > 0;
  const internalLocal = spec.internalTrafficPolicy === 'Local';
  const externalLocal = externallyAccessible && spec.externalTrafficPolicy === 'Local';
  const usesCluster = !internalLocal || (externallyAccessible && !externalLocal);
  const usesLocal = internalLocal || externalLocal;
  const cat = categorize(eps, ctx.nodeName, usesCluster, usesLocal);

  const cChain = clusterChain(id);
  const lChain = localChain(id);
  const xChain = externalChain(id);
  const usesClusterChain = usesCluster && cat.cluster.length > 0;
  const usesLocalChain = usesLocal && cat.local.length > 0;
  const internalChain = internalLocal ? lChain : cChain;
  const hasInternal = internalLocal ? cat.local.length > 0 : cat.cluster.length > 0;
  const externalPolicyChain = externalLocal ? lChain : cChain;
  const hasExternal = externalLocal ? cat.local.length > 0 : cat.cluster.length > 0;
  const usesExternalChain = cat.hasAny && externallyAccessible;
  // Nothing anywhere: reject, so clients fail fast. Endpoints elsewhere but none here for a
  // Local policy: drop, as upstream (the client may retry another node).
  const internalVerdict = !cat.hasAny ? `goto ${REJECT_CHAIN}` : 'drop';
  const externalVerdict = internalVerdict;

  const el = (set: string, key: string, value?: string) => out.elements.push(value === undefined ? { set, key } : { set, key, value });
  const rules = (chain: string): string[] => {
    let r = out.chains.get(chain);
    if (!r) out.chains.set(chain, (r = []));
    return r;
  };
  const vip = (ip: string) => `${ip} . ${proto} . ${port}`;

  // One Service's ports share the ClusterIP: the set holds it once.
  if (!out.elements.some((e) => e.set === CLUSTER_IPS)) el(CLUSTER_IPS, clusterIP);
  if (hasInternal) el(SERVICE_IPS, vip(clusterIP), `goto ${internalChain}`);
  else el(NO_ENDPOINT_SERVICES, vip(clusterIP), internalVerdict);
  for (const ip of [...externalIPs, ...lbIPs]) {
    if (cat.hasAny) el(SERVICE_IPS, vip(ip), `goto ${xChain}`);
    if (!hasExternal) el(NO_ENDPOINT_SERVICES, vip(ip), externalVerdict);
  }
  // loadBalancerSourceRanges: traffic to the load-balancer IPs from other sources is dropped
  // before DNAT (NodePorts, external IPs and the ClusterIP are not subject to it, as upstream).
  const ranges = sourceRanges(svc);
  if (lbIPs.length && ranges.length) {
    const fw = firewallChain(id);
    // A node inside the ranges reaching a load-balancer IP that is local to it (ServiceLB's are
    // the nodes' own addresses) has that IP as its source: allowed too.
    const fromNode = ranges.some((r) => ctx.nodeIPs.some((ip) => contains(r, ip)));
    const sources = [...new Set([...ranges, ...(fromNode ? lbIPs : [])])];
    rules(fw).push(`ip saddr != { ${sources.join(', ')} } drop`);
    for (const ip of lbIPs) el(FIREWALL_IPS, vip(ip), `goto ${fw}`);
  }
  if (nodePort) {
    if (cat.hasAny) el(SERVICE_NODEPORTS, `${proto} . ${nodePort}`, `goto ${xChain}`);
    if (!hasExternal) el(NO_ENDPOINT_NODEPORTS, `${proto} . ${nodePort}`, externalVerdict);
  }

  // Traffic to the ClusterIP from outside the pod range (the node itself, or another machine
  // routing the Service range here) is masqueraded so that replies come back through this node.
  if (hasInternal && ctx.clusterCIDR)
    rules(internalChain).push(`ip daddr ${clusterIP} ${proto} dport ${port} ip saddr != ${ctx.clusterCIDR} jump ${MARK_FOR_MASQUERADE}`);

  if (usesExternalChain) {
    const x = rules(xChain);
    if (!externalLocal) {
      // Endpoints may be on other nodes: the reply must come back through here.
      x.push(`jump ${MARK_FOR_MASQUERADE}`);
    } else if (usesClusterChain) {
      // Pods and the node itself reaching an external address are not subject to the Local
      // policy (as if they went out to a load balancer and came back); the node's own traffic
      // has a local source address that must be masqueraded.
      if (ctx.clusterCIDR) x.push(`ip saddr ${ctx.clusterCIDR} goto ${cChain}`);
      x.push(`fib saddr type local jump ${MARK_FOR_MASQUERADE}`);
      x.push(`fib saddr type local goto ${cChain}`);
    }
    if (hasExternal) x.push(`goto ${externalPolicyChain}`);
  }

  const affinity = spec.sessionAffinity === 'ClientIP';
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT;
  const reachable = new Map<string, ProxyEndpoint>();
  if (usesClusterChain) {
    balance(cChain, cat.cluster);
    for (const e of cat.cluster) reachable.set(`${e.ip}:${e.port}`, e);
  }
  if (usesLocalChain) {
    balance(lChain, cat.local);
    for (const e of cat.local) reachable.set(`${e.ip}:${e.port}`, e);
  }
  for (const e of reachable.values()) {
    // Hairpin: a pod reaching itself through the Service must see the reply come from the node.
    el(ENDPOINT_HAIRPIN, `${e.ip} . ${e.ip}`);
    if (!affinity) continue;
    const set = affinitySet(id, e.ip, e.port);
    out.affinitySets.set(set, timeout);
    rules(endpointChain(id, e.ip, e.port)).push(`update @${set} { ip saddr }`, `meta l4proto ${proto} dnat to ${e.ip}:${e.port}`);
  }

  /** The rules of a policy chain picking one of targets at random. */
  function balance(chain: string, targets: ProxyEndpoint[]): void {
    const r = rules(chain);
    const k = slots.offset(chain, targets.length);
    out.slots.push(chain);
    const pick = `numgen random mod ${targets.length} offset ${k}`;
    if (!affinity) {
      r.push(`meta l4proto ${proto} dnat ip to ${pick} map @${endpointDnatMap(proto)}`);
      targets.forEach((e, i) => el(endpointDnatMap(proto), String(k + i), `${e.ip} . ${e.port}`));
      return;
    }
    // A client seen recently by an endpoint goes back to it (sessionAffinity ClientIP).
    for (const e of targets) r.push(`ip saddr @${affinitySet(id, e.ip, e.port)} goto ${endpointChain(id, e.ip, e.port)}`);
    r.push(`${pick} vmap @${ENDPOINT_CHOICES}`);
    targets.forEach((e, i) => el(ENDPOINT_CHOICES, String(k + i), `goto ${endpointChain(id, e.ip, e.port)}`));
  }
}

/** The Service's IPv4 source ranges as networks; entries that are not CIDRs are skipped, as kube-proxy does. */
function sourceRanges(svc: Service): string[] {
  const out: string[] = [];
  for (const r of svc.spec?.loadBalancerSourceRanges ?? []) {
    const c = parseCidrSloppy(String(r).trim());
    if (c?.family === 4 && !out.includes(c.network)) out.push(c.network);
  }
  return out;
}

function contains(network: string, ip: string): boolean {
  const n = parseIp(ip);
  return n !== undefined && cidrContains(parseCidr(network), n);
}
