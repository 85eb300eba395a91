import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { parsePort, proxiedLocation, proxiedPath, splitProxyPath, splitSchemeNamePort } from './proxy.js';
import { tunneledProtocols } from './portforward.js';
import { pickEndpoint, servicePortName } from './service-proxy.js';

test('[scheme:]name[:port] splits as upstream SplitSchemeNamePort does', () => {
  assert.deepEqual(splitSchemeNamePort('web'), { scheme: 'http', name: 'web', port: '' });
  assert.deepEqual(splitSchemeNamePort('web:8080'), { scheme: 'http', name: 'web', port: '8080' });
  assert.deepEqual(splitSchemeNamePort('https:web:8443'), { scheme: 'https', name: 'web', port: '8443' });
  assert.deepEqual(splitSchemeNamePort('http:web:'), { scheme: 'http', name: 'web', port: '' });
  assert.equal(splitSchemeNamePort('ftp:web:21'), undefined);
  assert.equal(splitSchemeNamePort(':8080'), undefined);
  assert.equal(splitSchemeNamePort('a:b:c:d'), undefined);
});

test('a port must be a number from 1 to 65535', () => {
  assert.equal(parsePort('8080', 'x'), 8080);
  for (const bad of ['0', '65536', 'http', '-1', '80a']) assert.throws(() => parsePort(bad, 'x'), /invalid port/);
});

test('the path after /proxy goes on as the client escaped it, with the query', () => {
  const u = (p: string) => new URL(p, 'https://h');
  assert.equal(proxiedPath(u('/api/v1/namespaces/d/pods/web:80/proxy')), '/');
  assert.equal(proxiedPath(u('/api/v1/namespaces/d/pods/web:80/proxy/')), '/');
  assert.equal(proxiedPath(u('/api/v1/namespaces/d/pods/web:80/proxy/a%2Fb/c?x=1&y=%20')), '/a%2Fb/c?x=1&y=%20');
  // Names with "proxy" in them, and a proxy path that says proxy again.
  assert.equal(proxiedPath(u('/api/v1/namespaces/proxy/pods/proxy-pod/proxy/x/proxy/y')), '/x/proxy/y');
  assert.equal(proxiedPath(u('/api/v1/namespaces/pods/pods/web/proxy/z')), '/z');
  assert.equal(proxiedPath(u('/api/v1/nodes/n-proxy/proxy/healthz')), '/healthz');
  assert.equal(splitProxyPath(u('/api/v1/namespaces/proxy/services/proxy:http/proxy/a?b=1')).prefix, '/api/v1/namespaces/proxy/services/proxy:http/proxy');
});

test('a tunneling WebSocket offers SPDY protocols behind the SPDY/3.1+ prefix; nothing else is taken for one', () => {
  const req = (h: Record<string, string>) => ({ headers: h }) as unknown as IncomingMessage;
  assert.deepEqual(tunneledProtocols(req({ upgrade: 'websocket', 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' })), ['portforward.k8s.io']);
  assert.deepEqual(tunneledProtocols(req({ upgrade: 'WebSocket', 'sec-websocket-protocol': 'v4.channel.k8s.io, SPDY/3.1+portforward.k8s.io' })), [
    'portforward.k8s.io',
  ]);
  // The runtime's own WebSocket port-forward protocols, and SPDY upgrades, go through as they are.
  assert.deepEqual(tunneledProtocols(req({ upgrade: 'websocket', 'sec-websocket-protocol': 'v4.channel.k8s.io' })), []);
  assert.deepEqual(tunneledProtocols(req({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' })), []);
});

test('services/proxy: a port number stands for the service port of that number, by its name', () => {
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's' },
    spec: {
      ports: [
        { name: 'http', port: 80 },
        { name: 'metrics', port: 9100 },
      ],
    },
  };
  assert.equal(servicePortName(svc, 's', '9100'), 'metrics');
  assert.equal(servicePortName(svc, 's', 'http'), 'http');
  assert.equal(servicePortName(svc, 's', ''), '');
  assert.throws(() => servicePortName(svc, 's', '81'), /no service port 81 found for service "s"/);
});

test('services/proxy picks a ready address backed by a pod, in a subset that has the port', () => {
  const subsets = [
    { addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', name: 'a' } }], ports: [{ name: 'metrics', port: 9100 }] },
    { addresses: [{ ip: '10.0.0.9' }, { ip: '10.0.0.2', targetRef: { kind: 'Pod', name: 'b', namespace: 'x' } }], ports: [{ name: 'http', port: 8080 }] },
  ];
  for (const r of [0, 0.49, 0.5, 0.99])
    assert.deepEqual(
      pickEndpoint(subsets, 'http', () => r),
      { pod: 'b', namespace: 'x', ip: '10.0.0.2', port: 8080 },
    );
  assert.deepEqual(
    pickEndpoint(subsets, 'metrics', () => 0.7),
    { pod: 'a', namespace: undefined, ip: '10.0.0.1', port: 9100 },
  );
  assert.equal(pickEndpoint(subsets, 'grpc'), undefined);
  // Every address of a subset is chosen, given the random draw.
  const two = [
    {
      addresses: [
        { ip: '1', targetRef: { kind: 'Pod', name: 'p1' } },
        { ip: '2', targetRef: { kind: 'Pod', name: 'p2' } },
      ],
      ports: [{ port: 80 }],
    },
  ];
  assert.deepEqual(new Set([0, 0.6].map((r) => pickEndpoint(two, '', () => r)?.pod)), new Set(['p1', 'p2']));
});

test("a pod's redirect to a path of its own goes under the proxy prefix; others are left alone", () => {
  const prefix = '/api/v1/namespaces/d/pods/web:8080/proxy';
  assert.equal(proxiedLocation('/sub/', 'https://10.1.1.1:6443', prefix), `https://10.1.1.1:6443${prefix}/sub/`);
  assert.equal(proxiedLocation('sub/', 'https://h', prefix), 'sub/');
  assert.equal(proxiedLocation('//elsewhere.test/x', 'https://h', prefix), '//elsewhere.test/x');
  assert.equal(proxiedLocation('http://elsewhere.test/x', 'https://h', prefix), 'http://elsewhere.test/x');
});
