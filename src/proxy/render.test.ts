import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { serviceRules, type ProxyContext } from './model.js';
import { renderFull, renderPartial } from './render.js';
import { clusterChain, endpointChain, affinitySet } from './names.js';

const ctx: ProxyContext = { nodeName: 'n1', nodeIPs: ['192.168.5.1'], clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16' };
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

test('full sync: recreates the table in one transaction, declarations before rules, elements last', () => {
  const text = renderFull('bt', ctx, [serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx)]);
  const lines = text.trim().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['add table ip bt', 'delete table ip bt', 'add table ip bt']);
  const at = (l: string) => {
    const i = lines.indexOf(l);
    assert.ok(i >= 0, `missing: ${l}`);
    return i;
  };
  assert.ok(at(`add chain ip bt ${E('10.42.0.6')}`) < at(`add rule ip bt ${C} numgen random mod 1 vmap { 0 : goto ${E('10.42.0.6')} }`));
  assert.ok(at('add chain ip bt nat-prerouting { type nat hook prerouting priority -100 ; policy accept ; }') < at('add rule ip bt nat-prerouting jump services'));
  assert.equal(lines.at(-1), `add element ip bt service-ips { 10.43.0.5 . tcp . 80 : goto ${C} }`);
  assert.ok(lines.includes('add element ip bt nodeport-ips { 192.168.5.1 }'));
  assert.ok(lines.includes('add element ip bt cluster-ips { 10.43.0.5 }'));
  assert.ok(lines.includes('add rule ip bt cluster-ips-check ip daddr 10.43.0.0/16 drop'));
});

test('full sync: a map key two services claim is written once (the first)', () => {
  const a = serviceRules(svc('a', '10.43.0.5'), [], ctx);
  const b = serviceRules(svc('b', '10.43.0.5'), [], ctx);
  const text = renderFull('bt', ctx, [a, b]);
  assert.equal((text.match(/10\.43\.0\.5 \. tcp \. 80/g) ?? []).length, 1);
});

test('partial sync: nothing changed -> nothing to do', () => {
  const r = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx);
  assert.equal(renderPartial('bt', [{ before: r, after: serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx) }]), '');
});

test('partial sync: an endpoint removed -> the service chain is refilled, the endpoint chain flushed then deleted; no map change', () => {
  const before = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6', '10.42.0.7'])], ctx);
  const after = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx);
  assert.deepEqual(renderPartial('bt', [{ before, after }])!.trim().split('\n'), [
    `flush chain ip bt ${C}`,
    `add rule ip bt ${C} ip daddr 10.43.0.5 tcp dport 80 ip saddr != 10.42.0.0/16 jump mark-for-masquerade`,
    `add rule ip bt ${C} numgen random mod 1 vmap { 0 : goto ${E('10.42.0.6')} }`,
    `flush chain ip bt ${E('10.42.0.7')}`,
    `delete chain ip bt ${E('10.42.0.7')}`,
  ]);
});

test('partial sync: the last endpoint gone -> map entry swapped for a reject entry, chains removed after', () => {
  const before = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx);
  const after = serviceRules(svc('a', '10.43.0.5'), [], ctx);
  assert.deepEqual(renderPartial('bt', [{ before, after }])!.trim().split('\n'), [
    'delete element ip bt service-ips { 10.43.0.5 . tcp . 80 }',
    'add element ip bt no-endpoint-services { 10.43.0.5 . tcp . 80 : goto reject-chain }',
    `flush chain ip bt ${C}`,
    `flush chain ip bt ${E('10.42.0.6')}`,
    `delete chain ip bt ${C}`,
    `delete chain ip bt ${E('10.42.0.6')}`,
  ]);
});

test('partial sync: a new service adds its chains first, then fills them, then its elements', () => {
  const after = serviceRules(svc('a', '10.43.0.5'), [slice('a', ['10.42.0.6'])], ctx);
  const lines = renderPartial('bt', [{ after }])!.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2).sort(), [`add chain ip bt ${C}`, `add chain ip bt ${E('10.42.0.6')}`].sort());
  assert.deepEqual(lines.slice(-2), ['add element ip bt cluster-ips { 10.43.0.5 }', `add element ip bt service-ips { 10.43.0.5 . tcp . 80 : goto ${C} }`]);
});

test('partial sync: a deleted service leaves nothing (elements, chains, affinity sets all deleted)', () => {
  const before = serviceRules(svc('a', '10.43.0.5', { sessionAffinity: 'ClientIP' }), [slice('a', ['10.42.0.6'])], ctx);
  const lines = renderPartial('bt', [{ before }])!.trim().split('\n');
  assert.deepEqual(lines, [
    'delete element ip bt cluster-ips { 10.43.0.5 }',
    'delete element ip bt service-ips { 10.43.0.5 . tcp . 80 }',
    `flush chain ip bt ${C}`,
    `flush chain ip bt ${E('10.42.0.6')}`,
    `delete chain ip bt ${C}`,
    `delete chain ip bt ${E('10.42.0.6')}`,
    `delete set ip bt ${affinitySet('ns/a/tcp/', '10.42.0.6', 8080)}`,
  ]);
});

test('partial sync: a changed affinity timeout cannot be done in place -> undefined (full sync)', () => {
  const before = serviceRules(svc('a', '10.43.0.5', { sessionAffinity: 'ClientIP' }), [slice('a', ['10.42.0.6'])], ctx);
  const after = serviceRules(svc('a', '10.43.0.5', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } }), [slice('a', ['10.42.0.6'])], ctx);
  assert.equal(renderPartial('bt', [{ before, after }]), undefined);
});
