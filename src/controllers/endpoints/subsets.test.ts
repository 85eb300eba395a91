import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1';
import { desiredSubsets, truncateSubsets } from './subsets.js';

const svc = (spec: Service['spec'] = {}): Service => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

function pod(name: string, ip: string, opts: { ready?: boolean; port?: number; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: opts.port === undefined ? [] : [{ name: 'http', containerPort: opts.port }] }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

const addr = (name: string, ip: string) => ({ ip, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name, uid: `uid-${name}` } });

test('ready and not-ready addresses in one subset per port set, sorted by IP; terminating pods left out', () => {
  const pods = [
    pod('b', '10.0.0.10', { port: 8080 }),
    pod('a', '10.0.0.9', { port: 8080 }),
    pod('c', '10.0.0.3', { port: 8080, ready: false }),
    pod('d', '10.0.0.4', { port: 9090 }),
    pod('e', '10.0.0.5', { port: 8080, deleting: true }),
  ];
  assert.deepEqual(desiredSubsets(svc(), pods), [
    {
      addresses: [addr('a', '10.0.0.9'), addr('b', '10.0.0.10')],
      notReadyAddresses: [addr('c', '10.0.0.3')],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
    { addresses: [addr('d', '10.0.0.4')], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] },
  ]);
});

test('publishNotReadyAddresses lists not-ready and terminating pods as ready', () => {
  const pods = [pod('c', '10.0.0.3', { port: 8080, ready: false }), pod('e', '10.0.0.5', { port: 8080, deleting: true })];
  const [s] = desiredSubsets(svc({ publishNotReadyAddresses: true }), pods);
  assert.deepEqual(
    s!.addresses!.map((a) => a.ip),
    ['10.0.0.3', '10.0.0.5'],
  );
  assert.equal(s!.notReadyAddresses, undefined);
});

test('a headless Service without ports lists bare addresses; unnamed ports have no name', () => {
  assert.deepEqual(desiredSubsets(svc({ clusterIP: 'None', ports: [] }), [pod('a', '10.0.0.1')]), [{ addresses: [addr('a', '10.0.0.1')] }]);
  assert.deepEqual(desiredSubsets(svc({ ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }), [pod('a', '10.0.0.1')]), [
    { addresses: [addr('a', '10.0.0.1')], ports: [{ port: 8080, protocol: 'TCP' }] },
  ]);
});

test('a pod serving two ports is one address in a subset with both', () => {
  const s = svc({
    ports: [
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'm', port: 9, targetPort: 9100, protocol: 'TCP' },
    ],
  });
  const got = desiredSubsets(s, [pod('a', '10.0.0.1'), pod('b', '10.0.0.2')]);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.addresses!.length, 2);
  assert.deepEqual(got[0]!.ports!.map((p) => p.port).sort(), [8080, 9100]);
});

function subset(ready: number, notReady: number, base: number): EndpointSubset {
  const a = (k: number) => ({ ip: `10.${base}.${Math.floor(k / 250)}.${(k % 250) + 1}` });
  return {
    ...(ready ? { addresses: Array.from({ length: ready }, (_, k) => a(k)) } : {}),
    ...(notReady ? { notReadyAddresses: Array.from({ length: notReady }, (_, k) => a(ready + k)) } : {}),
    ports: [{ port: base }],
  };
}

const count = (subsets: EndpointSubset[], f: 'addresses' | 'notReadyAddresses') => subsets.map((s) => s[f]?.length ?? 0);

test('at most 1000 addresses: not-ready ones are cut first, in proportion', () => {
  const subsets = [subset(600, 300, 1), subset(200, 100, 2)];
  assert.equal(truncateSubsets(subsets), true);
  assert.deepEqual(count(subsets, 'addresses'), [600, 200]);
  assert.deepEqual(count(subsets, 'notReadyAddresses'), [150, 50]);
});

test('more than 1000 ready addresses: all not-ready ones go and ready ones are cut in proportion', () => {
  const subsets = [subset(900, 50, 1), subset(300, 10, 2)];
  assert.equal(truncateSubsets(subsets), true);
  assert.deepEqual(count(subsets, 'addresses'), [750, 250]);
  assert.deepEqual(count(subsets, 'notReadyAddresses'), [0, 0]);
});

test('1000 addresses or fewer are not truncated', () => {
  const subsets = [subset(900, 100, 1)];
  assert.equal(truncateSubsets(subsets), false);
  assert.deepEqual(count(subsets, 'notReadyAddresses'), [100]);
});
