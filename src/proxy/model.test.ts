import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice, Endpoint } from 'kubernetes-types/discovery/v1';
import { serviceRules, type ProxyContext, type ServiceRules } from './model.js';
import { clusterChain, endpointChain, externalChain, localChain, affinitySet } from './names.js';

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

const endpointRules = (ip: string, port = 8080) => [`ip saddr ${ip} jump mark-for-masquerade`, `meta l4proto tcp dnat to ${ip}:${port}`];
const pick = (...chains: string[]) => `numgen random mod ${chains.length} vmap { ${chains.map((c, i) => `${i} : goto ${c}`).join(', ')} }`;
const elements = (r: ServiceRules) => r.elements.map((e) => (e.value === undefined ? `${e.set} ${e.key}` : `${e.set} ${e.key} : ${e.value}`)).sort();
const chains = (r: ServiceRules) => Object.fromEntries(r.chains);

test('ClusterIP with two ready endpoints: service-ips jumps to a chain picking one at random, each endpoint DNATs and masquerades hairpin', () => {
  const r = serviceRules(svc(), [slice([ep('10.42.0.7'), ep('10.42.0.6')])], ctx);
  assert.deepEqual(elements(r), ['cluster-ips 10.43.0.5', `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`]);
  assert.deepEqual(chains(r), {
    [C]: [MASQ_CIP, pick(E('10.42.0.6'), E('10.42.0.7'))],
    [E('10.42.0.6')]: endpointRules('10.42.0.6'),
    [E('10.42.0.7')]: endpointRules('10.42.0.7'),
  });
  assert.equal(r.affinitySets.size, 0);
});

test('names: hashed prefix plus the readable service port, endpoint chains carry ip/port', () => {
  assert.match(C, /^service-[0-9A-F]{8}-ns1\/web\/tcp\/http$/);
  assert.match(E('10.42.0.6'), /^endpoint-[0-9A-F]{8}-ns1\/web\/tcp\/http__10\.42\.0\.6\/8080$/);
  assert.notEqual(clusterChain('a/b/tcp/x'), clusterChain('a/b/udp/x'));
});

test('no endpoints: the ClusterIP is rejected through no-endpoint-services, and no chain exists', () => {
  const r = serviceRules(svc(), [], ctx);
  assert.deepEqual(elements(r), ['cluster-ips 10.43.0.5', 'no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain']);
  assert.equal(r.chains.size, 0);
});

test('only ready endpoints are used; with none ready the serving terminating ones are; not serving at all is no endpoint', () => {
  const mixed = serviceRules(svc(), [slice([ep('10.42.0.6', 'n2', { ready: false }), ep('10.42.0.7')])], ctx);
  assert.deepEqual([...mixed.chains.keys()].sort(), [C, E('10.42.0.7')].sort());
  assert.deepEqual(mixed.chains.get(C), [MASQ_CIP, pick(E('10.42.0.7'))]);

  const terminating = serviceRules(
    svc(),
    [slice([ep('10.42.0.6', 'n2', { ready: false, serving: true, terminating: true }), ep('10.42.0.7', 'n2', { ready: false, serving: false, terminating: true })])],
    ctx,
  );
  assert.deepEqual(terminating.chains.get(C), [MASQ_CIP, pick(E('10.42.0.6'))]);
  assert.equal(terminating.chains.has(E('10.42.0.7')), false);

  const none = serviceRules(svc(), [slice([ep('10.42.0.6', 'n2', { ready: false }), ep('10.42.0.7', 'n2', { ready: false, serving: false, terminating: true })])], ctx);
  assert.deepEqual(elements(none), ['cluster-ips 10.43.0.5', 'no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain']);
});

test('endpoints come from slices whose port has the same name and protocol; one ip:port counts once across slices', () => {
  const r = serviceRules(
    svc(),
    [
      slice([ep('10.42.0.6')], { name: 'a' }),
      slice([ep('10.42.0.6'), ep('10.42.0.8')], { name: 'b' }),
      slice([ep('10.42.0.9')], { name: 'c', portName: 'metrics' }),
      slice([ep('10.42.0.10')], { name: 'd', protocol: 'UDP' }),
    ],
    ctx,
  );
  assert.deepEqual(r.chains.get(C), [MASQ_CIP, pick(E('10.42.0.6'), E('10.42.0.8'))]);
});

test('UDP port: protocol in the map key and the DNAT', () => {
  const r = serviceRules(
    svc({ ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] }),
    [slice([ep('10.42.0.6')], { portName: 'dns', port: 5353, protocol: 'UDP' })],
    ctx,
  );
  const id = 'ns1/web/udp/dns';
  assert.deepEqual(elements(r), ['cluster-ips 10.43.0.5', `service-ips 10.43.0.5 . udp . 53 : goto ${clusterChain(id)}`]);
  assert.deepEqual(r.chains.get(endpointChain(id, '10.42.0.6', 5353)), ['ip saddr 10.42.0.6 jump mark-for-masquerade', 'meta l4proto udp dnat to 10.42.0.6:5353']);
});

test('NodePort: service-nodeports jumps to an external chain that masquerades and goes to the service chain', () => {
  const r = serviceRules(svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }), [slice([ep('10.42.0.6')])], ctx);
  assert.deepEqual(elements(r), ['cluster-ips 10.43.0.5', `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`, `service-nodeports tcp . 30080 : goto ${X}`]);
  assert.deepEqual(r.chains.get(X), ['jump mark-for-masquerade', `goto ${C}`]);
  assert.deepEqual(r.chains.get(C), [MASQ_CIP, pick(E('10.42.0.6'))]);
});

test('NodePort without endpoints: rejected through no-endpoint-nodeports', () => {
  const r = serviceRules(svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }), [], ctx);
  assert.deepEqual(elements(r), [
    'cluster-ips 10.43.0.5',
    'no-endpoint-nodeports tcp . 30080 : goto reject-chain',
    'no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain',
  ]);
  assert.equal(r.chains.size, 0);
});

test('LoadBalancer ingress IPs and externalIPs go to the external chain', () => {
  const r = serviceRules(
    svc({ type: 'LoadBalancer', externalIPs: ['203.0.113.9'], ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }, { loadBalancer: { ingress: [{ ip: '192.168.5.1' }, { hostname: 'lb.example' }] } }),
    [slice([ep('10.42.0.6')])],
    ctx,
  );
  assert.deepEqual(elements(r), [
    'cluster-ips 10.43.0.5',
    `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`,
    `service-ips 192.168.5.1 . tcp . 80 : goto ${X}`,
    `service-ips 203.0.113.9 . tcp . 80 : goto ${X}`,
    `service-nodeports tcp . 30080 : goto ${X}`,
  ]);
});

test('externalTrafficPolicy Local: pods and the node go cluster-wide, outside traffic only to this node\'s endpoints, source kept', () => {
  const r = serviceRules(
    svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
    [slice([ep('10.42.0.6', 'n1'), ep('10.42.1.6', 'n2')])],
    ctx,
  );
  assert.deepEqual(r.chains.get(X), [`ip saddr 10.42.0.0/16 goto ${C}`, 'fib saddr type local jump mark-for-masquerade', `fib saddr type local goto ${C}`, `goto ${L}`]);
  assert.deepEqual(r.chains.get(L), [pick(E('10.42.0.6'))]);
  assert.deepEqual(r.chains.get(C), [MASQ_CIP, pick(E('10.42.0.6'), E('10.42.1.6'))]);
  assert.deepEqual(elements(r), ['cluster-ips 10.43.0.5', `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`, `service-nodeports tcp . 30080 : goto ${X}`]);
});

test('externalTrafficPolicy Local without a local endpoint: outside traffic to the NodePort is dropped, not rejected', () => {
  const r = serviceRules(
    svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
    [slice([ep('10.42.1.6', 'n2')])],
    ctx,
  );
  assert.deepEqual(elements(r), [
    'cluster-ips 10.43.0.5',
    'no-endpoint-nodeports tcp . 30080 : drop',
    `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`,
    `service-nodeports tcp . 30080 : goto ${X}`,
  ]);
  // The node and pods still reach it through the cluster-wide chain.
  assert.deepEqual(r.chains.get(X), [`ip saddr 10.42.0.0/16 goto ${C}`, 'fib saddr type local jump mark-for-masquerade', `fib saddr type local goto ${C}`]);
  assert.equal(r.chains.has(L), false);
});

test('internalTrafficPolicy Local: the ClusterIP goes only to this node\'s endpoints; none here -> drop', () => {
  const local = serviceRules(svc({ internalTrafficPolicy: 'Local' }), [slice([ep('10.42.0.6', 'n1'), ep('10.42.1.6', 'n2')])], ctx);
  assert.deepEqual(elements(local), ['cluster-ips 10.43.0.5', `service-ips 10.43.0.5 . tcp . 80 : goto ${L}`]);
  assert.deepEqual(chains(local), {
    [L]: [MASQ_CIP, pick(E('10.42.0.6'))],
    [E('10.42.0.6')]: endpointRules('10.42.0.6'),
  });
  const remote = serviceRules(svc({ internalTrafficPolicy: 'Local' }), [slice([ep('10.42.1.6', 'n2')])], ctx);
  assert.deepEqual(elements(remote), ['cluster-ips 10.43.0.5', 'no-endpoint-services 10.43.0.5 . tcp . 80 : drop']);
  assert.equal(remote.chains.size, 0);
  const none = serviceRules(svc({ internalTrafficPolicy: 'Local' }), [], ctx);
  assert.deepEqual(elements(none), ['cluster-ips 10.43.0.5', 'no-endpoint-services 10.43.0.5 . tcp . 80 : goto reject-chain']);
});

test('sessionAffinity ClientIP: a recent client goes back to its endpoint; each endpoint records its clients with the timeout', () => {
  const r = serviceRules(svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }), [slice([ep('10.42.0.6'), ep('10.42.0.7')])], ctx);
  const A = (ip: string) => affinitySet(ID, ip, 8080);
  assert.deepEqual(r.chains.get(C), [
    MASQ_CIP,
    `ip saddr @${A('10.42.0.6')} goto ${E('10.42.0.6')}`,
    `ip saddr @${A('10.42.0.7')} goto ${E('10.42.0.7')}`,
    pick(E('10.42.0.6'), E('10.42.0.7')),
  ]);
  assert.deepEqual(r.chains.get(E('10.42.0.6')), ['ip saddr 10.42.0.6 jump mark-for-masquerade', `update @${A('10.42.0.6')} { ip saddr }`, 'meta l4proto tcp dnat to 10.42.0.6:8080']);
  assert.deepEqual([...r.affinitySets], [
    [A('10.42.0.6'), 60],
    [A('10.42.0.7'), 60],
  ]);
  const byDefault = serviceRules(svc({ sessionAffinity: 'ClientIP' }), [slice([ep('10.42.0.6')])], ctx);
  assert.deepEqual([...byDefault.affinitySets.values()], [10800]);
});

test('without a cluster CIDR no off-cluster masquerade rule is written (hairpin masquerade stays)', () => {
  const r = serviceRules(svc(), [slice([ep('10.42.0.6')])], { ...ctx, clusterCIDR: undefined });
  assert.deepEqual(r.chains.get(C), [pick(E('10.42.0.6'))]);
  assert.deepEqual(r.chains.get(E('10.42.0.6')), endpointRules('10.42.0.6'));
});

test('headless, ExternalName and ClusterIP-less services are not proxied', () => {
  assert.equal(serviceRules(svc({ clusterIP: 'None' }), [slice([ep('10.42.0.6')])], ctx).elements.length, 0);
  assert.equal(serviceRules(svc({ type: 'ExternalName', externalName: 'example.com', clusterIP: undefined }), [], ctx).elements.length, 0);
  assert.equal(serviceRules(svc({ clusterIP: '' }), [], ctx).elements.length, 0);
});

test('several ports: one chain set per port, named by port name', () => {
  const r = serviceRules(
    svc({
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
      ],
    }),
    [{ ...slice([ep('10.42.0.6')]), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'https', port: 8443, protocol: 'TCP' }] }],
    ctx,
  );
  const C2 = clusterChain('ns1/web/tcp/https');
  assert.deepEqual(elements(r), ['cluster-ips 10.43.0.5', `service-ips 10.43.0.5 . tcp . 443 : goto ${C2}`, `service-ips 10.43.0.5 . tcp . 80 : goto ${C}`]);
  assert.deepEqual(r.chains.get(endpointChain('ns1/web/tcp/https', '10.42.0.6', 8443)), endpointRules('10.42.0.6', 8443));
});
