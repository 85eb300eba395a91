import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice, Endpoint } from 'kubernetes-types/discovery/v1';
import { serviceRules, type ProxyContext, type ServiceRules } from './model.js';
import { clusterChain, endpointChain, externalChain, firewallChain, localChain, affinitySet } from './names.js';
import { SlotAllocator } from './slots.js';

const ctx: ProxyContext = { nodeName: 'n1', nodeIPs: ['192.168.5.1'], clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16' };
const ID = 'ns1/web/tcp/http';
const C = clusterChain(ID);
const L = localChain(ID);
const X = externalChain(ID);
const E = (ip: string, port = 8080) => endpointChain(ID, ip, port);
const MASQ_CIP = `ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade`;

function svc(spec: Service['spec'] = {}, status?: Service['status']): Service {
  return {
    metadata: { namespace: 'ns1', name: 'web' },
    spec: { type: 'ClusterIP', clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec },
    ...(status ? { status } : {}),
  };
}

function ep(ip: string, nodeName = 'n2', conditions: Endpoint['conditions'] = {}): Endpoint {
  return { addresses: [ip], nodeName, conditions };
}

function slice(endpoints: Endpoint[], opts: { name?: string; port?: number; portName?: string; protocol?: string } = {}): EndpointSlice {
  return {
    metadata: { namespace: 'ns1', name: opts.name ?? 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: opts.portName ?? 'http', port: opts.port ?? 8080, protocol: opts.protocol ?? 'TCP' }],
    endpoints,
  };
}

/** serviceRules with a fresh key allocator: the first chain's block starts at 0, the next at 4. */
const rulesOf = (svc: Service, slices: EndpointSlice[], c: ProxyContext) => serviceRules(svc, slices, c, new SlotAllocator());
/** The rule picking one of n endpoints from the key block at k, and the elements it reads. */
const dnat = (n: number, k = 0, proto = 'tcp') => `meta l4proto ${proto} dnat ip to numgen random mod ${n} offset ${k} map @endpoint-dnat-${proto}`;
const dnatEls = (k: number, ...eps: string[]) => eps.map((e, i) => `endpoint-dnat-tcp ${k + i} : ${e.includes(' ') ? e : `${e} . 8080`}`);
const hairpin = (...ips: string[]) => ips.map((ip) => `endpoint-hairpin ${ip} . ${ip}`);
const elements = (r: ServiceRules) => r.elements.map((e) => (e.value === undefined ? `${e.set} ${e.key}` : `${e.set} ${e.key} : ${e.value}`)).sort();
const chains = (r: ServiceRules) => Object.fromEntries(r.chains);

test('ClusterIP with two ready endpoints: service-ips jumps to a chain that DNATs to one at random through endpoint-dnat', () => {
  const r = rulesOf(svc(), [slice([ep('10.42.0.7'), ep('10.42.0.6')])], ctx);
  assert.deepEqual(
    elements(r),
    [
      'cluster-ips 10.43.0.5',
      ...dnatEls(0, '10.42.0.6', '10.42.0.7'),
      ...hairpin('10.42.0.6', '10.42.0.7'),
      `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`,
    ].sort(),
  );
  assert.deepEqual(chains(r), { [C]: [MASQ_CIP, dnat(2)] });
  assert.equal(r.affinitySets.size, 0);
  assert.deepEqual(r.slots, [C]);
});

test('names: hashed prefix plus the readable service port, endpoint chains carry ip/port', () => {
  assert.match(C, /^service-[0-9A-F]{8}-ns1\/web\/tcp\/http$/);
  assert.match(E('10.42.0.6'), /^endpoint-[0-9A-F]{8}-ns1\/web\/tcp\/http__10\.42\.0\.6\/8080$/);
  assert.notEqual(clusterChain('a/b/tcp/x'), clusterChain('a/b/udp/x'));
});

test('key blocks: a chain keeps its block while its endpoints fit, and gets a bigger one when they do not', () => {
  const slots = new SlotAllocator();
  const other = serviceRules({ ...svc({ clusterIP: '10.43.0.9' }), metadata: { namespace: 'ns1', name: 'other' } }, [slice([ep('10.42.0.9')])], ctx, slots);
  assert.equal(other.elements.find((e) => e.set === 'endpoint-dnat-tcp')!.key, '0');
  const three = serviceRules(svc(), [slice([ep('10.42.0.6'), ep('10.42.0.7'), ep('10.42.0.8')])], ctx, slots);
  assert.deepEqual(three.chains.get(C), [MASQ_CIP, dnat(3, 4)]);
  const two = serviceRules(svc(), [slice([ep('10.42.0.6'), ep('10.42.0.7')])], ctx, slots);
  assert.deepEqual(two.chains.get(C), [MASQ_CIP, dnat(2, 4)], 'same block');
  const five = serviceRules(svc(), [slice(['6', '7', '8', '10', '11'].map((n) => ep(`10.42.0.${n}`)))], ctx, slots);
  assert.deepEqual(five.chains.get(C), [MASQ_CIP, dnat(5, 8)], 'a block of 8 after the two blocks of 4');
  // The block of 4 it left is reused.
  slots.release(clusterChain('ns1/web/tcp/http'));
  assert.equal(slots.offset('x', 2), 4);
});

test('no endpoints: the ClusterIP is rejected through no-endpoint-services, and no chain exists', () => {
  const r = rulesOf(svc(), [], ctx);
  assert.deepEqual(elements(r), ['cluster-ips 10.43.0.5', 'no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain']);
  assert.equal(r.chains.size, 0);
  assert.deepEqual(r.slots, []);
});

test('only ready endpoints are used; with none ready the serving terminating ones are; not serving at all is no endpoint', () => {
  const mixed = rulesOf(svc(), [slice([ep('10.42.0.6', 'n2', { ready: false }), ep('10.42.0.7')])], ctx);
  assert.deepEqual(mixed.chains.get(C), [MASQ_CIP, dnat(1)]);
  assert.deepEqual(
    elements(mixed).filter((e) => e.startsWith('endpoint-')),
    [...dnatEls(0, '10.42.0.7'), ...hairpin('10.42.0.7')],
  );

  const terminating = rulesOf(
    svc(),
    [
      slice([
        ep('10.42.0.6', 'n2', { ready: false, serving: true, terminating: true }),
        ep('10.42.0.7', 'n2', { ready: false, serving: false, terminating: true }),
      ]),
    ],
    ctx,
  );
  assert.deepEqual(terminating.chains.get(C), [MASQ_CIP, dnat(1)]);
  assert.deepEqual(
    elements(terminating).filter((e) => e.startsWith('endpoint-dnat')),
    dnatEls(0, '10.42.0.6'),
  );

  const none = rulesOf(
    svc(),
    [slice([ep('10.42.0.6', 'n2', { ready: false }), ep('10.42.0.7', 'n2', { ready: false, serving: false, terminating: true })])],
    ctx,
  );
  assert.deepEqual(elements(none), ['cluster-ips 10.43.0.5', 'no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain']);
});

test('endpoints come from slices whose port has the same name and protocol; one ip:port counts once across slices', () => {
  const r = rulesOf(
    svc(),
    [
      slice([ep('10.42.0.6')], { name: 'a' }),
      slice([ep('10.42.0.6'), ep('10.42.0.8')], { name: 'b' }),
      slice([ep('10.42.0.9')], { name: 'c', portName: 'metrics' }),
      slice([ep('10.42.0.10')], { name: 'd', protocol: 'UDP' }),
    ],
    ctx,
  );
  assert.deepEqual(r.chains.get(C), [MASQ_CIP, dnat(2)]);
  assert.deepEqual(
    elements(r).filter((e) => e.startsWith('endpoint-dnat')),
    dnatEls(0, '10.42.0.6', '10.42.0.8'),
  );
});

test('UDP port: protocol in the map key and the DNAT', () => {
  const r = rulesOf(
    svc({ ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] }),
    [slice([ep('10.42.0.6')], { portName: 'dns', port: 5353, protocol: 'UDP' })],
    ctx,
  );
  const id = 'ns1/web/udp/dns';
  assert.deepEqual(elements(r), [
    'cluster-ips 10.43.0.5',
    'endpoint-dnat-udp 0 : 10.42.0.6 . 5353',
    ...hairpin('10.42.0.6'),
    `service-ips 10.43.0.5 . udp . 53 : goto ${clusterChain(id)}`,
  ]);
  assert.deepEqual(r.chains.get(clusterChain(id)), ['ip daddr 10.43.0.5 udp dport 53 ip saddr != 10.42.0.0/16 jump mark-for-masquerade', dnat(1, 0, 'udp')]);
});

test('NodePort: service-nodeports jumps to an external chain that masquerades and goes to the service chain', () => {
  const r = rulesOf(svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }), [slice([ep('10.42.0.6')])], ctx);
  assert.deepEqual(
    elements(r).filter((e) => /^(service|cluster)/.test(e)),
    ['cluster-ips 10.43.0.5', `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`, `service-nodeports tcp . 30080 : goto ${X}`],
  );
  assert.deepEqual(r.chains.get(X), ['jump mark-for-masquerade', `goto ${C}`]);
  assert.deepEqual(r.chains.get(C), [MASQ_CIP, dnat(1)]);
});

test('NodePort without endpoints: rejected through no-endpoint-nodeports', () => {
  const r = rulesOf(svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }), [], ctx);
  assert.deepEqual(elements(r), [
    'cluster-ips 10.43.0.5',
    'no-endpoint-nodeports tcp . 30080 : goto reject-chain',
    'no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain',
  ]);
  assert.equal(r.chains.size, 0);
});

test('LoadBalancer ingress IPs and externalIPs go to the external chain', () => {
  const r = rulesOf(
    svc(
      { type: 'LoadBalancer', externalIPs: ['203.0.113.9'], ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] },
      { loadBalancer: { ingress: [{ ip: '192.168.5.1' }, { hostname: 'lb.example' }] } },
    ),
    [slice([ep('10.42.0.6')])],
    ctx,
  );
  assert.deepEqual(
    elements(r).filter((e) => /^(service|cluster)/.test(e)),
    [
      'cluster-ips 10.43.0.5',
      `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`,
      `service-ips 192.168.5.1 . tcp . 80 : goto ${X}`,
      `service-ips 203.0.113.9 . tcp . 80 : goto ${X}`,
      `service-nodeports tcp . 30080 : goto ${X}`,
    ],
  );
});

test('loadBalancerSourceRanges: the load-balancer IPs go through a firewall chain dropping other sources; NodePort and externalIPs do not', () => {
  const F = firewallChain(ID);
  const lb = (ranges: string[], ingress = ['192.168.5.1', '192.168.5.2']) =>
    rulesOf(
      svc(
        {
          type: 'LoadBalancer',
          externalIPs: ['203.0.113.9'],
          loadBalancerSourceRanges: ranges,
          ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }],
        },
        { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } },
      ),
      [slice([ep('10.42.0.6')])],
      ctx,
    );
  const r = lb([' 203.0.113.0/24', '10.1.2.3/8', 'nonsense', '2001:db8::/64', '10.0.0.0/8']);
  // Trimmed, host bits cleared, invalid and IPv6 entries skipped, duplicates once.
  assert.deepEqual(chains(r)[F], ['ip saddr != { 203.0.113.0/24, 10.0.0.0/8 } drop']);
  assert.deepEqual(
    elements(r).filter((e) => e.startsWith('firewall-ips')),
    [`firewall-ips 192.168.5.1 . tcp . 80 : goto ${F}`, `firewall-ips 192.168.5.2 . tcp . 80 : goto ${F}`],
  );
  // The DNAT side is unchanged: the load-balancer IPs still reach the external chain.
  assert.ok(elements(r).includes(`service-ips 192.168.5.1 . tcp . 80 : goto ${X}`));
  // A range holding the node's own address lets the node reach its load-balancer IPs (its source is then one of them).
  assert.deepEqual(chains(lb(['192.168.5.0/24', '10.0.0.0/8']))[F], ['ip saddr != { 192.168.5.0/24, 10.0.0.0/8, 192.168.5.1, 192.168.5.2 } drop']);
  // No ranges, no usable range, or no load-balancer IP yet: no firewall at all.
  for (const none of [lb([]), lb(['nonsense', '2001:db8::/64']), lb(['10.0.0.0/8'], [])]) {
    assert.equal(chains(none)[F], undefined);
    assert.deepEqual(
      elements(none).filter((e) => e.startsWith('firewall-ips')),
      [],
    );
  }
  // Ranges on a Service that is not a LoadBalancer (left from a type change) change nothing.
  const np = rulesOf(
    svc({ type: 'NodePort', loadBalancerSourceRanges: ['10.0.0.0/8'], ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
    [slice([ep('10.42.0.6')])],
    ctx,
  );
  assert.equal(chains(np)[F], undefined);
});

test("externalTrafficPolicy Local: pods and the node go cluster-wide, outside traffic only to this node's endpoints, source kept", () => {
  const r = rulesOf(
    svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
    [slice([ep('10.42.0.6', 'n1'), ep('10.42.1.6', 'n2')])],
    ctx,
  );
  assert.deepEqual(r.chains.get(X), [
    `ip saddr 10.42.0.0/16 goto ${C}`,
    'fib saddr type local jump mark-for-masquerade',
    `fib saddr type local goto ${C}`,
    `goto ${L}`,
  ]);
  assert.deepEqual(r.chains.get(C), [MASQ_CIP, dnat(2, 0)]);
  assert.deepEqual(r.chains.get(L), [dnat(1, 4)]);
  assert.deepEqual(
    elements(r),
    [
      'cluster-ips 10.43.0.5',
      ...dnatEls(0, '10.42.0.6', '10.42.1.6'),
      ...dnatEls(4, '10.42.0.6'),
      ...hairpin('10.42.0.6', '10.42.1.6'),
      `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`,
      `service-nodeports tcp . 30080 : goto ${X}`,
    ].sort(),
  );
});

test('externalTrafficPolicy Local without a local endpoint: outside traffic to the NodePort is dropped, not rejected', () => {
  const r = rulesOf(
    svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
    [slice([ep('10.42.1.6', 'n2')])],
    ctx,
  );
  assert.deepEqual(
    elements(r).filter((e) => !e.startsWith('endpoint-')),
    [
      'cluster-ips 10.43.0.5',
      'no-endpoint-nodeports tcp . 30080 : drop',
      `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`,
      `service-nodeports tcp . 30080 : goto ${X}`,
    ],
  );
  // The node and pods still reach it through the cluster-wide chain.
  assert.deepEqual(r.chains.get(X), [`ip saddr 10.42.0.0/16 goto ${C}`, 'fib saddr type local jump mark-for-masquerade', `fib saddr type local goto ${C}`]);
  assert.equal(r.chains.has(L), false);
});

test("internalTrafficPolicy Local: the ClusterIP goes only to this node's endpoints; none here -> drop", () => {
  const local = rulesOf(svc({ internalTrafficPolicy: 'Local' }), [slice([ep('10.42.0.6', 'n1'), ep('10.42.1.6', 'n2')])], ctx);
  assert.deepEqual(elements(local), [
    'cluster-ips 10.43.0.5',
    ...dnatEls(0, '10.42.0.6'),
    ...hairpin('10.42.0.6'),
    `service-ips 10.43.0.5 . tcp . 80 : goto ${L}`,
  ]);
  assert.deepEqual(chains(local), { [L]: [MASQ_CIP, dnat(1)] });
  const remote = rulesOf(svc({ internalTrafficPolicy: 'Local' }), [slice([ep('10.42.1.6', 'n2')])], ctx);
  assert.deepEqual(elements(remote), ['cluster-ips 10.43.0.5', 'no-endpoint-services 10.43.0.5 . tcp . 80 : drop']);
  assert.equal(remote.chains.size, 0);
  const none = rulesOf(svc({ internalTrafficPolicy: 'Local' }), [], ctx);
  assert.deepEqual(elements(none), ['cluster-ips 10.43.0.5', 'no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain']);
});

test('sessionAffinity ClientIP: a recent client goes back to its endpoint; endpoint chains record their clients with the timeout', () => {
  const r = rulesOf(
    svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
    [slice([ep('10.42.0.6'), ep('10.42.0.7')])],
    ctx,
  );
  const A = (ip: string) => affinitySet(ID, ip, 8080);
  assert.deepEqual(chains(r), {
    [C]: [
      MASQ_CIP,
      `ip saddr @${A('10.42.0.6')} goto ${E('10.42.0.6')}`,
      `ip saddr @${A('10.42.0.7')} goto ${E('10.42.0.7')}`,
      'numgen random mod 2 offset 0 vmap @endpoint-choices',
    ],
    [E('10.42.0.6')]: [`update @${A('10.42.0.6')} { ip saddr }`, 'meta l4proto tcp dnat to 10.42.0.6:8080'],
    [E('10.42.0.7')]: [`update @${A('10.42.0.7')} { ip saddr }`, 'meta l4proto tcp dnat to 10.42.0.7:8080'],
  });
  assert.deepEqual(
    elements(r).filter((e) => e.startsWith('endpoint-')),
    [`endpoint-choices 0 : goto ${E('10.42.0.6')}`, `endpoint-choices 1 : goto ${E('10.42.0.7')}`, ...hairpin('10.42.0.6', '10.42.0.7')],
  );
  assert.deepEqual(
    [...r.affinitySets],
    [
      [A('10.42.0.6'), 60],
      [A('10.42.0.7'), 60],
    ],
  );
  const byDefault = rulesOf(svc({ sessionAffinity: 'ClientIP' }), [slice([ep('10.42.0.6')])], ctx);
  assert.deepEqual([...byDefault.affinitySets.values()], [10800]);
});

test('without a cluster CIDR no off-cluster masquerade rule is written (hairpin masquerade stays)', () => {
  const r = rulesOf(svc(), [slice([ep('10.42.0.6')])], { ...ctx, clusterCIDR: undefined });
  assert.deepEqual(chains(r), { [C]: [dnat(1)] });
  assert.deepEqual(
    elements(r).filter((e) => e.startsWith('endpoint-hairpin')),
    hairpin('10.42.0.6'),
  );
});

test('headless, ExternalName and ClusterIP-less services are not proxied', () => {
  assert.equal(rulesOf(svc({ clusterIP: 'None' }), [slice([ep('10.42.0.6')])], ctx).elements.length, 0);
  assert.equal(rulesOf(svc({ type: 'ExternalName', externalName: 'example.com', clusterIP: undefined }), [], ctx).elements.length, 0);
  assert.equal(rulesOf(svc({ clusterIP: '' }), [], ctx).elements.length, 0);
});

test('several ports: one chain and key block per port; the ClusterIP and hairpin pair once', () => {
  const r = rulesOf(
    svc({
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
      ],
    }),
    [
      {
        ...slice([ep('10.42.0.6')]),
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'https', port: 8443, protocol: 'TCP' },
        ],
      },
    ],
    ctx,
  );
  const C2 = clusterChain('ns1/web/tcp/https');
  assert.deepEqual(elements(r), [
    'cluster-ips 10.43.0.5',
    ...dnatEls(0, '10.42.0.6'),
    ...dnatEls(4, '10.42.0.6 . 8443'),
    ...hairpin('10.42.0.6'),
    `service-ips 10.43.0.5 . tcp . 443 : goto ${C2}`,
    `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`,
  ]);
  assert.deepEqual(r.chains.get(C2), ['ip daddr 10.43.0.5 tcp dport 443 ip saddr != 10.42.0.0/16 jump mark-for-masquerade', dnat(1, 4)]);
});

test('addresses and ports nft could not parse are left out, so one bad slice cannot break the table', () => {
  const r = rulesOf(
    svc(),
    [slice([ep('10.262.0.1'), ep('fd00::1'), ep('10.42.0.6'), ep('010.42.0.7')]), slice([ep('10.42.0.8')], { name: 'p0', port: 0 })],
    ctx,
  );
  assert.deepEqual(
    elements(r).filter((e) => e.startsWith('endpoint-dnat')),
    dnatEls(0, '10.42.0.6'),
  );
});
