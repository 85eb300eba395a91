import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { parsePort, proxiedPath, splitSchemeNamePort } from './proxy.js';
import { tunneledProtocols } from './portforward.js';

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
});

test('a tunneling WebSocket offers SPDY protocols behind the SPDY/3.1+ prefix; nothing else is taken for one', () => {
  const req = (h: Record<string, string>) => ({ headers: h }) as unknown as IncomingMessage;
  assert.deepEqual(tunneledProtocols(req({ upgrade: 'websocket', 'sec-websocket-protocol': 'SPDY/3.1+portforward.k8s.io' })), ['portforward.k8s.io']);
  assert.deepEqual(tunneledProtocols(req({ upgrade: 'WebSocket', 'sec-websocket-protocol': 'v4.channel.k8s.io, SPDY/3.1+portforward.k8s.io' })), ['portforward.k8s.io']);
  // The runtime's own WebSocket port-forward protocols, and SPDY upgrades, go through as they are.
  assert.deepEqual(tunneledProtocols(req({ upgrade: 'websocket', 'sec-websocket-protocol': 'v4.channel.k8s.io' })), []);
  assert.deepEqual(tunneledProtocols(req({ upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'portforward.k8s.io' })), []);
});
