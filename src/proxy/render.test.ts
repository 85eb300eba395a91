import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { serviceRules, type ProxyContext } from './model.js';
import { renderFull, renderPartial, sharedCounts } from './render.js';
import { clusterChain, endpointChain, affinitySet } from './names.js';
import { SlotAllocator } from './slots.js';

const ctx: ProxyContext = { nodeName: 'n1', nodeIPs: ['192.168.5.1', '127.0.0.1'], clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16' };
const svc = (name: string, ip: string, extra: Partial<NonNullable<Service['spec']>> = {}): Service => ({
  metadata: { namespace: 'ns', name },
  spec: { clusterIP: ip, ports: [{ port: 80, protocol: 'TCP' }], ...extra },
});
const slice = (svcName: string, ips: string[]): EndpointSlice => ({
  metadata: { namespace: 'ns', name: `${svcName}-x`, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  ports: [{ port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip] })),
});
const C = clusterChain('ns/a/tcp/');
const E = (ip: string) => endpointChain('ns/a/tcp/', ip, 8080);
const MASQ = 'ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade';
const lines = (text: string | undefined) => (text ?? '').trim().split('\n');

test('full sync: recreates the table in one transaction, declarations before rules, elements last; no NodePort on loopback', () => {
  const text = renderFull('bt', ctx, [serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx, new SlotAllocator())]);
  const l = lines(text);
  assert.deepEqual(l.slice(0, 3), ['add table ip bt', 'delete table ip bt', 'add table ip bt']);
  const at = (x: string) => {
    const i = l.indexOf(x);
    assert.ok(i >= 0, `missing: ${x}`);
    return i;
  };
  assert.ok(
    at('add map ip bt endpoint-dnat-udp { typeof numgen random mod 2 : ip daddr . udp dport ; }') <
      at(`add rule ip bt ${C} meta l4proto tcp dnat ip to numgen random mod 1 offset 0 map @endpoint-dnat-tcp`),
  );
  assert.ok(at(`add chain ip bt ${C}`) < at(`add rule ip bt ${C} ${MASQ}`));
  assert.ok(
    at('add chain ip bt nat-prerouting { type nat hook prerouting priority -100 ; policy accept ; }') < at('add rule ip bt nat-prerouting jump services'),
  );
  assert.ok(
    at('add rule ip bt masquerading ct status dnat ip saddr . ip daddr @endpoint-hairpin masquerade fully-random') <
      at('add rule ip bt masquerading meta mark & 0x4000 == 0 return'),
  );
  assert.equal(l.at(-1), 'add element ip bt endpoint-hairpin { 10.42.0.6 . 10.42.0.6 }');
  for (const e of [
    'nodeport-ips { 192.168.5.1 }',
    'cluster-ips { 10.43.0.5 }',
    `service-ips { 10.43.0.5 . tcp . 80 : goto ${C} }`,
    'endpoint-dnat-tcp { 0 : 10.42.0.6 . 8080 }',
  ])
    at(`add element ip bt ${e}`);
  at('add rule ip bt cluster-ips-check ip daddr 10.43.0.0/16 drop');
  // loadBalancerSourceRanges are checked on new connections before DNAT, from outside and from the node.
  assert.ok(
    at('add chain ip bt filter-prerouting { type filter hook prerouting priority -110 ; policy accept ; }') <
      at('add rule ip bt filter-prerouting ct state new jump firewall-check'),
  );
  at('add rule ip bt filter-output ct state new jump firewall-check');
  at('add rule ip bt firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips');
});

test('full sync: a map key two services claim is written once (the first); a shared hairpin pair once', () => {
  const slots = new SlotAllocator();
  const a = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx, slots);
  const b = serviceRules(svc('b', '10.43.0.5'), [slice('b', ['10.42.0.6'])], ctx, slots);
  const text = renderFull('bt', ctx, [a, b]);
  assert.equal((text.match(/10\.43\.0\.5 \. tcp \. 80/g) ?? []).length, 1);
  assert.equal((text.match(/10\.42\.0\.6 \. 10\.42\.0\.6/g) ?? []).length, 1);
  assert.deepEqual([...sharedCounts([a, b])], [['endpoint-hairpin\u000010.42.0.6 . 10.42.0.6', 2]]);
});

test('partial sync: nothing changed -> nothing to do', () => {
  const slots = new SlotAllocator();
  const r = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx, slots);
  const again = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx, slots);
  assert.deepEqual(renderPartial('bt', [{ before: r, after: again }], sharedCounts([r])), { text: '', sharedDelta: new Map() });
});

test('partial sync: an endpoint removed -> the service chain refilled, its key replaced, its hairpin pair gone; nothing else', () => {
  const slots = new SlotAllocator();
  const before = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6', '10.42.0.7'])], ctx, slots);
  const after = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx, slots);
  const p = renderPartial('bt', [{ before, after }], sharedCounts([before]))!;
  assert.deepEqual(lines(p.text), [
    `flush chain ip bt ${C}`,
    `add rule ip bt ${C} ${MASQ}`,
    `add rule ip bt ${C} meta l4proto tcp dnat ip to numgen random mod 1 offset 0 map @endpoint-dnat-tcp`,
    'delete element ip bt endpoint-dnat-tcp { 1 }',
    'delete element ip bt endpoint-hairpin { 10.42.0.7 . 10.42.0.7 }',
  ]);
});

test('partial sync: a hairpin pair another service still holds stays; it goes with the last one', () => {
  const slots = new SlotAllocator();
  const a = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx, slots);
  const b = serviceRules(svc('b', '10.43.0.6'), [slice('b', ['10.42.0.6'])], ctx, slots);
  const shared = sharedCounts([a, b]);
  const dropA = renderPartial('bt', [{ before: a }], shared)!;
  assert.doesNotMatch(dropA.text, /endpoint-hairpin/);
  assert.deepEqual([...dropA.sharedDelta.values()], [-1]);
  const dropBoth = renderPartial('bt', [{ before: a }, { before: b }], shared)!;
  assert.match(dropBoth.text, /delete element ip bt endpoint-hairpin \{ 10\.42\.0\.6 \. 10\.42\.0\.6 \}/);
  const addC = renderPartial('bt', [{ after: serviceRules(svc('c', '10.43.0.7'), [slice('c', ['10.42.0.6'])], ctx, slots) }], shared)!;
  assert.doesNotMatch(addC.text, /endpoint-hairpin/, 'already in the kernel');
});

test('partial sync: the last endpoint gone -> map entry swapped for a reject entry, the chain removed after', () => {
  const slots = new SlotAllocator();
  const before = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx, slots);
  const after = serviceRules(svc('a', '10.43.0.5'), [], ctx, slots);
  assert.deepEqual(lines(renderPartial('bt', [{ before, after }], sharedCounts([before]))!.text), [
    'delete element ip bt service-ips { 10.43.0.5 . tcp . 80 }',
    'delete element ip bt endpoint-dnat-tcp { 0 }',
    'delete element ip bt endpoint-hairpin { 10.42.0.6 . 10.42.0.6 }',
    'add element ip bt no-endpoint-services { 10.43.0.5 . tcp . 80 : goto reject-chain }',
    `flush chain ip bt ${C}`,
    `delete chain ip bt ${C}`,
  ]);
});

test('partial sync: a new service adds its chains first, then fills them, then its elements', () => {
  const after = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx, new SlotAllocator());
  const l = lines(renderPartial('bt', [{ after }])!.text);
  assert.equal(l[0], `add chain ip bt ${C}`);
  assert.deepEqual(l.slice(-4).sort(), [
    'add element ip bt cluster-ips { 10.43.0.5 }',
    'add element ip bt endpoint-dnat-tcp { 0 : 10.42.0.6 . 8080 }',
    'add element ip bt endpoint-hairpin { 10.42.0.6 . 10.42.0.6 }',
    `add element ip bt service-ips { 10.43.0.5 . tcp . 80 : goto ${C} }`,
  ]);
});

test('partial sync: a deleted affinity service leaves nothing (elements, chains, affinity sets all deleted)', () => {
  const before = serviceRules(svc('a', '10.43.0.5', { sessionAffinity: 'ClientIP' }), [slice('a', ['10.42.0.6'])], ctx, new SlotAllocator());
  assert.deepEqual(lines(renderPartial('bt', [{ before }], sharedCounts([before]))!.text), [
    'delete element ip bt cluster-ips { 10.43.0.5 }',
    'delete element ip bt service-ips { 10.43.0.5 . tcp . 80 }',
    'delete element ip bt endpoint-choices { 0 }',
    'delete element ip bt endpoint-hairpin { 10.42.0.6 . 10.42.0.6 }',
    `flush chain ip bt ${C}`,
    `flush chain ip bt ${E('10.42.0.6')}`,
    `delete chain ip bt ${C}`,
    `delete chain ip bt ${E('10.42.0.6')}`,
    `delete set ip bt ${affinitySet('ns/a/tcp/', '10.42.0.6', 8080)}`,
  ]);
});

test('partial sync: a changed affinity timeout cannot be done in place -> undefined (full sync)', () => {
  const slots = new SlotAllocator();
  const before = serviceRules(svc('a', '10.43.0.5', { sessionAffinity: 'ClientIP' }), [slice('a', ['10.42.0.6'])], ctx, slots);
  const after = serviceRules(
    svc('a', '10.43.0.5', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } }),
    [slice('a', ['10.42.0.6'])],
    ctx,
    slots,
  );
  assert.equal(renderPartial('bt', [{ before, after }]), undefined);
});
