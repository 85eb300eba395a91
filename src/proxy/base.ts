// The fixed part of the proxy's table, as kube-proxy's nftables mode lays it out: base chains on
// the netfilter hooks jumping to `services` (DNAT through the verdict maps), `masquerading`
// (SNAT of marked packets) and the filter checks that reject or drop traffic to services without
// endpoints, to ClusterIP ports that no Service has, and (firewall-check) to load-balancer IPs
// from sources outside a Service's loadBalancerSourceRanges.
import {
  CLUSTER_IPS,
  ENDPOINT_CHOICES,
  PROTOCOLS,
  endpointDnatMap,
  ENDPOINT_HAIRPIN,
  FIREWALL_IPS,
  MARK_FOR_MASQUERADE,
  NODEPORT_IPS,
  NO_ENDPOINT_NODEPORTS,
  NO_ENDPOINT_SERVICES,
  REJECT_CHAIN,
  SERVICE_IPS,
  SERVICE_NODEPORTS,
  type ProxyContext,
} from './model.js';

/** kube-proxy's masquerade bit. */
export const MASQUERADE_MARK = '0x4000';

export interface BaseObject {
  kind: 'set' | 'map' | 'chain';
  name: string;
  /** The declaration inside braces (type, hook, flags), '' for a regular chain. */
  spec: string;
  rules?: string[];
  elements?: string[];
}

const SERVICE_KEY = 'ipv4_addr . inet_proto . inet_service';
const NODEPORT_KEY = 'inet_proto . inet_service';
// Filter checks run just before DNAT (dstnat - 10), as upstream.
const FILTER_PRIO = -110;

const chain = (name: string, rules: string[], spec = ''): BaseObject => ({ kind: 'chain', name, spec, rules });

export function baseObjects(ctx: ProxyContext): BaseObject[] {
  const newConn = 'ct state new';
  return [
    { kind: 'set', name: CLUSTER_IPS, spec: 'type ipv4_addr ;' },
    // Never loopback: upstream's nftables mode does not serve NodePorts on 127.0.0.1 (it would need route_localnet).
    { kind: 'set', name: NODEPORT_IPS, spec: 'type ipv4_addr ;', elements: [...new Set(ctx.nodeIPs)].filter((ip) => !ip.startsWith('127.')) },
    { kind: 'map', name: SERVICE_IPS, spec: `type ${SERVICE_KEY} : verdict ;` },
    { kind: 'map', name: SERVICE_NODEPORTS, spec: `type ${NODEPORT_KEY} : verdict ;` },
    { kind: 'map', name: NO_ENDPOINT_SERVICES, spec: `type ${SERVICE_KEY} : verdict ;` },
    { kind: 'map', name: NO_ENDPOINT_NODEPORTS, spec: `type ${NODEPORT_KEY} : verdict ;` },
    { kind: 'map', name: FIREWALL_IPS, spec: `type ${SERVICE_KEY} : verdict ;` },
    // Keyed by `numgen random mod N offset K` (model.ts): endpoint address and port to DNAT to,
    // one map per protocol, or (sessionAffinity) the endpoint's chain.
    ...PROTOCOLS.map((p): BaseObject => ({ kind: 'map', name: endpointDnatMap(p), spec: `typeof numgen random mod 2 : ip daddr . ${p} dport ;` })),
    { kind: 'map', name: ENDPOINT_CHOICES, spec: 'typeof numgen random mod 2 : verdict ;' },
    { kind: 'set', name: ENDPOINT_HAIRPIN, spec: 'type ipv4_addr . ipv4_addr ;' },
    // Regular chains first: base chains jump to them.
    chain(REJECT_CHAIN, ['reject']),
    chain(MARK_FOR_MASQUERADE, [`meta mark set meta mark | ${MASQUERADE_MARK}`]),
    chain('masquerading', [
      // A pod reaching itself through a Service (source = DNATed destination = an endpoint).
      `ct status dnat ip saddr . ip daddr @${ENDPOINT_HAIRPIN} masquerade fully-random`,
      `meta mark & ${MASQUERADE_MARK} == 0 return`,
      `meta mark set meta mark ^ ${MASQUERADE_MARK}`,
      'masquerade fully-random',
    ]),
    chain('services', [
      `ip daddr . meta l4proto . th dport vmap @${SERVICE_IPS}`,
      `ip daddr @${NODEPORT_IPS} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`,
    ]),
    chain('service-endpoints-check', [`ip daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES}`]),
    chain('nodeport-endpoints-check', [`ip daddr @${NODEPORT_IPS} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`]),
    // loadBalancerSourceRanges, on the destination before DNAT (model.ts fills the map).
    chain('firewall-check', [`ip daddr . meta l4proto . th dport vmap @${FIREWALL_IPS}`]),
    chain('cluster-ips-check', [
      // A ClusterIP answers only on its Service's ports; the rest of the range is nobody's.
      `ip daddr @${CLUSTER_IPS} reject`,
      ...(ctx.serviceCIDR ? [`ip daddr ${ctx.serviceCIDR} drop`] : []),
    ]),
    chain('filter-prerouting', [`${newConn} jump firewall-check`], `type filter hook prerouting priority ${FILTER_PRIO} ; policy accept ;`),
    chain(
      'filter-input',
      [`${newConn} jump nodeport-endpoints-check`, `${newConn} jump service-endpoints-check`],
      `type filter hook input priority ${FILTER_PRIO} ; policy accept ;`,
    ),
    chain(
      'filter-forward',
      [`${newConn} jump service-endpoints-check`, `${newConn} jump cluster-ips-check`],
      `type filter hook forward priority ${FILTER_PRIO} ; policy accept ;`,
    ),
    chain(
      'filter-output',
      [`${newConn} jump service-endpoints-check`, `${newConn} jump firewall-check`],
      `type filter hook output priority ${FILTER_PRIO} ; policy accept ;`,
    ),
    chain('filter-output-post-dnat', [`${newConn} jump cluster-ips-check`], 'type filter hook output priority -90 ; policy accept ;'),
    chain('nat-prerouting', ['jump services'], 'type nat hook prerouting priority -100 ; policy accept ;'),
    chain('nat-output', ['jump services'], 'type nat hook output priority -100 ; policy accept ;'),
    chain('nat-postrouting', ['jump masquerading'], 'type nat hook postrouting priority 100 ; policy accept ;'),
  ];
}
