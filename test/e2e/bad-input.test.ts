// Hundreds of malformed requests: each gets a 4xx Status naming the problem, the server keeps
// serving, and nothing stored is lost or changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServer, type RunningServer } from './harness.js';

let s: RunningServer;
before(async () => {
  s = await startServer();
  await api(s, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bad' } });
  for (let i = 0; i < 5; i++) {
    await api(s, 'POST', '/api/v1/namespaces/bad/configmaps', { metadata: { name: `keep-${i}` }, data: { i: String(i) } });
  }
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

async function snapshot(): Promise<string> {
  const parts: string[] = [];
  for (const p of ['/api/v1/namespaces', '/api/v1/configmaps', '/api/v1/pods', '/apis/apps/v1/deployments']) {
    const r = await api(s, 'GET', p);
    assert.equal(r.status, 200);
    parts.push(JSON.stringify(r.json.items.filter((o: any) => !o.metadata.name.startsWith('kube-root-ca'))));
  }
  return parts.join('\n');
}

const pod = (over: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  ...over,
});

interface Case {
  what: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  code: number;
  reason: string;
  message?: RegExp;
}

const cases: Case[] = [
  { what: 'malformed JSON', method: 'POST', path: '/api/v1/namespaces/bad/pods', body: '{"apiVersion": "v1", "kind": ', code: 400, reason: 'BadRequest', message: /JSON/ },
  { what: 'JSON array body', method: 'POST', path: '/api/v1/namespaces/bad/pods', body: '[1,2]', code: 400, reason: 'BadRequest' },
  { what: 'malformed YAML', method: 'POST', path: '/api/v1/namespaces/bad/configmaps', body: 'metadata: {name: [x\n  - y', headers: { 'Content-Type': 'application/yaml' }, code: 400, reason: 'BadRequest', message: /YAML/ },
  { what: 'wrong kind', method: 'POST', path: '/api/v1/namespaces/bad/pods', body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } }, code: 400, reason: 'BadRequest', message: /Service/ },
  { what: 'wrong apiVersion', method: 'POST', path: '/api/v1/namespaces/bad/pods', body: pod({ apiVersion: 'apps/v1' }), code: 400, reason: 'BadRequest', message: /apps\/v1/ },
  { what: 'unknown resource', method: 'GET', path: '/api/v1/namespaces/bad/widgets', code: 404, reason: 'NotFound' },
  { what: 'unknown group', method: 'GET', path: '/apis/nope.example.com/v1/things', code: 404, reason: 'NotFound' },
  { what: 'body over 3 MiB', method: 'POST', path: '/api/v1/namespaces/bad/configmaps', body: JSON.stringify({ metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } }), code: 413, reason: 'RequestEntityTooLarge' },
  { what: 'invalid name', method: 'POST', path: '/api/v1/namespaces/bad/configmaps', body: { metadata: { name: 'Not_Valid' } }, code: 422, reason: 'Invalid', message: /metadata\.name: Invalid value: "Not_Valid"/ },
  { what: 'invalid label', method: 'POST', path: '/api/v1/namespaces/bad/configmaps', body: { metadata: { name: 'x', labels: { 'bad key!': 'v' } } }, code: 422, reason: 'Invalid', message: /metadata\.labels/ },
  { what: 'invalid quantity', method: 'POST', path: '/api/v1/namespaces/bad/pods', body: pod({ spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 'lots' } } }] } }), code: 400, reason: 'BadRequest', message: /quantities must match/ },
  { what: 'unknown field, strict', method: 'POST', path: '/api/v1/namespaces/bad/configmaps?fieldValidation=Strict', body: { metadata: { name: 'x' }, nonsense: 1 }, code: 400, reason: 'BadRequest', message: /unknown field "nonsense"/ },
  { what: 'wrong field type', method: 'POST', path: '/api/v1/namespaces/bad/pods', body: pod({ spec: { containers: 'nope' } }), code: 400, reason: 'BadRequest' },
  { what: 'bad label selector', method: 'GET', path: '/api/v1/namespaces/bad/pods?labelSelector=a%20in%20(', code: 400, reason: 'BadRequest' },
  { what: 'bad field selector', method: 'GET', path: '/api/v1/namespaces/bad/pods?fieldSelector=spec.nope%3Dx', code: 400, reason: 'BadRequest' },
  { what: 'bad continue token', method: 'GET', path: '/api/v1/namespaces/bad/pods?limit=1&continue=garbage', code: 400, reason: 'BadRequest' },
  { what: 'bad resourceVersion', method: 'GET', path: '/api/v1/namespaces/bad/pods?resourceVersion=abc', code: 400, reason: 'BadRequest' },
  { what: 'unsupported patch type', method: 'PATCH', path: '/api/v1/namespaces/bad/configmaps/keep-0', body: '{}', headers: { 'Content-Type': 'text/plain' }, code: 415, reason: 'UnsupportedMediaType' },
  { what: 'malformed JSON patch', method: 'PATCH', path: '/api/v1/namespaces/bad/configmaps/keep-0', body: '[{"op":"frobnicate","path":"/data"}]', headers: { 'Content-Type': 'application/json-patch+json' }, code: 422, reason: 'Invalid' },
  { what: 'patch making it invalid', method: 'PATCH', path: '/api/v1/namespaces/bad/configmaps/keep-1', body: '{"metadata":{"labels":{"-x-":"y"}}}', headers: { 'Content-Type': 'application/merge-patch+json' }, code: 422, reason: 'Invalid' },
  { what: 'put with a mismatched name', method: 'PUT', path: '/api/v1/namespaces/bad/configmaps/keep-2', body: { metadata: { name: 'other' } }, code: 400, reason: 'BadRequest' },
  { what: 'delete with a bad propagation policy', method: 'DELETE', path: '/api/v1/namespaces/bad/configmaps/keep-3', body: { propagationPolicy: 'Sideways' }, code: 422, reason: 'Invalid' },
  { what: 'delete with a stale precondition', method: 'DELETE', path: '/api/v1/namespaces/bad/configmaps/keep-4', body: { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } }, code: 409, reason: 'Conflict' },
  { what: 'create in a missing namespace', method: 'POST', path: '/api/v1/namespaces/ghost/configmaps', body: { metadata: { name: 'x' } }, code: 404, reason: 'NotFound', message: /namespaces "ghost" not found/ },
  { what: 'bad dryRun value', method: 'POST', path: '/api/v1/namespaces/bad/configmaps?dryRun=Some', body: { metadata: { name: 'x' } }, code: 400, reason: 'BadRequest' },
  { what: 'deleting kube-system', method: 'DELETE', path: '/api/v1/namespaces/kube-system', code: 403, reason: 'Forbidden' },
];

test('bad input: every malformed request gets a 4xx Status, and nothing is lost', async () => {
  const before = await snapshot();
  let fired = 0;
  // A few hundred requests: every case, repeated, some concurrently.
  for (let round = 0; round < 10; round++) {
    await Promise.all(
      cases.map(async (c) => {
        const r = await api(s, c.method, c.path, c.body, c.headers);
        fired++;
        assert.equal(r.status, c.code, `${c.what}: got ${r.status} ${r.text.slice(0, 300)}`);
        assert.equal(r.json?.kind, 'Status', `${c.what}: a Status body`);
        assert.equal(r.json.status, 'Failure');
        assert.equal(r.json.reason, c.reason, `${c.what}: reason`);
        assert.equal(r.json.code, c.code);
        if (c.message) assert.match(r.json.message, c.message, c.what);
      }),
    );
  }
  assert.ok(fired >= 250);
  assert.equal((await api(s, 'GET', '/readyz')).status, 200);
  assert.equal(await snapshot(), before, 'stored objects are unchanged');
});
