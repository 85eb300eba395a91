import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1';
import { desiredPortGroups, endpointPorts, podToEndpoint, portMapKey, sliceLabels } from './desired.js';

const svc = (spec: Service['spec'] = {}, labels?: Record<string, string>): Service => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

function pod(
  name: string,
  ip: string | undefined,
  opts: { ready?: boolean; port?: number; deleting?: boolean; phase?: string; node?: string; hostname?: string; subdomain?: string } = {},
): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: {
      nodeName: opts.node ?? 'n1',
      hostname: opts.hostname,
      subdomain: opts.subdomain,
      containers: [{ name: 'c', ports: opts.port === undefined ? [] : [{ name: 'http', containerPort: opts.port }] }],
    },
    status: {
      phase: opts.phase ?? 'Running',
      podIP: ip,
      podIPs: ip ? [{ ip }] : undefined,
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

test('conditions as upstream: ready only when Ready and not terminating; publishNotReadyAddresses makes it ready', () => {
  const cases: Array<[Pod, Service, { ready: boolean; serving: boolean; terminating: boolean }]> = [
    [pod('a', '10.0.0.1', { port: 8080 }), svc(), { ready: true, serving: true, terminating: false }],
    [pod('b', '10.0.0.2', { port: 8080, ready: false }), svc(), { ready: false, serving: false, terminating: false }],
    [pod('c', '10.0.0.3', { port: 8080, deleting: true }), svc(), { ready: false, serving: true, terminating: true }],
    [pod('d', '10.0.0.4', { port: 8080, ready: false }), svc({ publishNotReadyAddresses: true }), { ready: true, serving: true, terminating: false }],
    [
      pod('e', '10.0.0.5', { port: 8080, ready: false, deleting: true }),
      svc({ publishNotReadyAddresses: true }),
      { ready: true, serving: true, terminating: true },
    ],
  ];
  for (const [p, s, want] of cases) assert.deepEqual(podToEndpoint(p, undefined, s).conditions, want, p.metadata!.name);
});

test('an endpoint names its pod, node, zone, and hostname only under its own subdomain', () => {
  const node: Node = { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } };
  const ep = podToEndpoint(pod('a', '10.0.0.1', { hostname: 'h', subdomain: 'web' }), node, svc());
  assert.deepEqual(ep, {
    addresses: ['10.0.0.1'],
    conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'uid-a' },
    hostname: 'h',
    nodeName: 'n1',
    zone: 'z1',
  });
  assert.equal(podToEndpoint(pod('b', '10.0.0.2', { hostname: 'h', subdomain: 'other' }), node, svc()).hostname, undefined);
  assert.equal(podToEndpoint(pod('b', '10.0.0.2'), { metadata: { name: 'n1' } }, svc()).zone, undefined);
});

test('named targetPorts resolve per pod; a pod without the port serves the other ports only', () => {
  const s = svc({
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9000, targetPort: 9100, protocol: 'TCP', appProtocol: 'http' },
    ],
  });
  assert.deepEqual(endpointPorts(s, pod('a', '10.0.0.1', { port: 8080 })), [
    { name: 'http', port: 8080, protocol: 'TCP' },
    { name: 'metrics', port: 9100, protocol: 'TCP', appProtocol: 'http' },
  ]);
  assert.deepEqual(endpointPorts(s, pod('b', '10.0.0.2')), [{ name: 'metrics', port: 9100, protocol: 'TCP', appProtocol: 'http' }]);
  // Named ports match the protocol too.
  const udp = svc({ ports: [{ name: 'dns', port: 53, targetPort: 'http', protocol: 'UDP' }] });
  assert.deepEqual(endpointPorts(udp, pod('a', '10.0.0.1', { port: 8080 })), []);
});

test('pods with different port resolutions land in different groups; no IP, finished pods are left out', () => {
  const pods = [
    pod('a', '10.0.0.1', { port: 8080 }),
    pod('b', '10.0.0.2', { port: 8080 }),
    pod('c', '10.0.0.3', { port: 9090 }),
    pod('d', undefined, { port: 8080 }),
    pod('e', '10.0.0.5', { port: 8080, phase: 'Succeeded' }),
    pod('f', '10.0.0.6', { port: 8080, phase: 'Failed' }),
    pod('g', '10.0.0.7', { port: 8080, deleting: true }),
  ];
  const groups = desiredPortGroups(svc(), pods, () => undefined);
  assert.equal(groups.size, 2);
  const g8080 = groups.get(portMapKey([{ name: 'http', port: 8080, protocol: 'TCP' }]))!;
  assert.deepEqual(
    g8080.endpoints.map((e) => e.targetRef!.name),
    ['a', 'b', 'g'],
  );
  const g9090 = groups.get(portMapKey([{ name: 'http', port: 9090, protocol: 'TCP' }]))!;
  assert.deepEqual(
    g9090.endpoints.map((e) => e.addresses),
    [['10.0.0.3']],
  );
});

test('slice labels: the service name, managed-by, the service labels, headless', () => {
  assert.deepEqual(sliceLabels(svc({}, { team: 'a', 'kubernetes.io/service-name': 'spoof' })), {
    team: 'a',
    'kubernetes.io/service-name': 'web',
    'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
  });
  assert.equal(sliceLabels(svc({ clusterIP: 'None' }))['service.kubernetes.io/headless'], '');
});

test('port map keys ignore order', () => {
  const a = { name: 'a', port: 1, protocol: 'TCP' };
  const b = { name: 'b', port: 2, protocol: 'UDP' };
  assert.equal(portMapKey([a, b]), portMapKey([b, a]));
  assert.notEqual(portMapKey([a]), portMapKey([b]));
});
