// Hundreds of malformed requests: each gets a 4xx Status naming the problem, the server keeps
// serving, and nothing stored is lost or changed.
import { after, before, test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { api, requireCommand, startServer, type RunningServer } from './harness.js';
import { startEtcd } from './etcd-harness.js';

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

/** A continue token as the server encodes them, at the given resourceVersion. */
function token(rv: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: 'a' })).toString('base64url');
}

/** Seven levels of nine aliases each: 9^7 strings from a few hundred bytes. */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 8; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(',')}]`,
    );
  return lines.join('\n') + '\nmetadata: {name: bomb}\n';
}

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
  {
    what: 'malformed JSON',
    method: 'POST',
    path: '/api/v1/namespaces/bad/pods',
    body: '{"apiVersion": "v1", "kind": ',
    code: 400,
    reason: 'BadRequest',
    message: /JSON/,
  },
  { what: 'JSON array body', method: 'POST', path: '/api/v1/namespaces/bad/pods', body: '[1,2]', code: 400, reason: 'BadRequest' },
  {
    what: 'malformed YAML',
    method: 'POST',
    path: '/api/v1/namespaces/bad/configmaps',
    body: 'metadata: {name: [x\n  - y',
    headers: { 'Content-Type': 'application/yaml' },
    code: 400,
    reason: 'BadRequest',
    message: /YAML/,
  },
  {
    what: 'wrong kind',
    method: 'POST',
    path: '/api/v1/namespaces/bad/pods',
    body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' } },
    code: 400,
    reason: 'BadRequest',
    message: /Service/,
  },
  {
    what: 'wrong apiVersion',
    method: 'POST',
    path: '/api/v1/namespaces/bad/pods',
    body: pod({ apiVersion: 'apps/v1' }),
    code: 400,
    reason: 'BadRequest',
    message: /apps\/v1/,
  },
  { what: 'unknown resource', method: 'GET', path: '/api/v1/namespaces/bad/widgets', code: 404, reason: 'NotFound' },
  { what: 'unknown group', method: 'GET', path: '/apis/nope.example.com/v1/things', code: 404, reason: 'NotFound' },
  {
    what: 'body over 3 MiB',
    method: 'POST',
    path: '/api/v1/namespaces/bad/configmaps',
    body: JSON.stringify({ metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } }),
    code: 413,
    reason: 'RequestEntityTooLarge',
  },
  {
    what: 'invalid name',
    method: 'POST',
    path: '/api/v1/namespaces/bad/configmaps',
    body: { metadata: { name: 'Not_Valid' } },
    code: 422,
    reason: 'Invalid',
    message: /metadata\.name: Invalid value: "Not_Valid"/,
  },
  {
    what: 'invalid label',
    method: 'POST',
    path: '/api/v1/namespaces/bad/configmaps',
    body: { metadata: { name: 'x', labels: { 'bad key!': 'v' } } },
    code: 422,
    reason: 'Invalid',
    message: /metadata\.labels/,
  },
  {
    what: 'invalid quantity',
    method: 'POST',
    path: '/api/v1/namespaces/bad/pods',
    body: pod({ spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 'lots' } } }] } }),
    code: 400,
    reason: 'BadRequest',
    message: /quantities must match/,
  },
  {
    what: 'unknown field, strict',
    method: 'POST',
    path: '/api/v1/namespaces/bad/configmaps?fieldValidation=Strict',
    body: { metadata: { name: 'x' }, nonsense: 1 },
    code: 400,
    reason: 'BadRequest',
    message: /unknown field "nonsense"/,
  },
  {
    what: 'wrong field type',
    method: 'POST',
    path: '/api/v1/namespaces/bad/pods',
    body: pod({ spec: { containers: 'nope' } }),
    code: 400,
    reason: 'BadRequest',
  },
  { what: 'bad label selector', method: 'GET', path: '/api/v1/namespaces/bad/pods?labelSelector=a%20in%20(', code: 400, reason: 'BadRequest' },
  { what: 'bad field selector', method: 'GET', path: '/api/v1/namespaces/bad/pods?fieldSelector=spec.nope%3Dx', code: 400, reason: 'BadRequest' },
  { what: 'bad continue token', method: 'GET', path: '/api/v1/namespaces/bad/pods?limit=1&continue=garbage', code: 400, reason: 'BadRequest' },
  { what: 'bad resourceVersion', method: 'GET', path: '/api/v1/namespaces/bad/pods?resourceVersion=abc', code: 400, reason: 'BadRequest' },
  {
    what: 'unsupported patch type',
    method: 'PATCH',
    path: '/api/v1/namespaces/bad/configmaps/keep-0',
    body: '{}',
    headers: { 'Content-Type': 'text/plain' },
    code: 415,
    reason: 'UnsupportedMediaType',
  },
  {
    what: 'malformed JSON patch',
    method: 'PATCH',
    path: '/api/v1/namespaces/bad/configmaps/keep-0',
    body: '[{"op":"frobnicate","path":"/data"}]',
    headers: { 'Content-Type': 'application/json-patch+json' },
    code: 422,
    reason: 'Invalid',
  },
  {
    what: 'patch making it invalid',
    method: 'PATCH',
    path: '/api/v1/namespaces/bad/configmaps/keep-1',
    body: '{"metadata":{"labels":{"-x-":"y"}}}',
    headers: { 'Content-Type': 'application/merge-patch+json' },
    code: 422,
    reason: 'Invalid',
  },
  {
    what: 'put with a mismatched name',
    method: 'PUT',
    path: '/api/v1/namespaces/bad/configmaps/keep-2',
    body: { metadata: { name: 'other' } },
    code: 400,
    reason: 'BadRequest',
  },
  {
    what: 'delete with a bad propagation policy',
    method: 'DELETE',
    path: '/api/v1/namespaces/bad/configmaps/keep-3',
    body: { propagationPolicy: 'Sideways' },
    code: 422,
    reason: 'Invalid',
  },
  {
    what: 'delete with a stale precondition',
    method: 'DELETE',
    path: '/api/v1/namespaces/bad/configmaps/keep-4',
    body: { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } },
    code: 409,
    reason: 'Conflict',
  },
  {
    what: 'create in a missing namespace',
    method: 'POST',
    path: '/api/v1/namespaces/ghost/configmaps',
    body: { metadata: { name: 'x' } },
    code: 404,
    reason: 'NotFound',
    message: /namespaces "ghost" not found/,
  },
  {
    what: 'bad dryRun value',
    method: 'POST',
    path: '/api/v1/namespaces/bad/configmaps?dryRun=Some',
    body: { metadata: { name: 'x' } },
    code: 400,
    reason: 'BadRequest',
  },
  { what: 'deleting kube-system', method: 'DELETE', path: '/api/v1/namespaces/kube-system', code: 403, reason: 'Forbidden' },
  // Issue #18: each of these was a 500 (or, for the last ones, a wrong answer).
  {
    what: 'malformed % escape in the path',
    method: 'GET',
    path: '/api/v1/namespaces/bad/configmaps/%E0%A4%A',
    code: 400,
    reason: 'BadRequest',
    message: /invalid URL escape/,
  },
  {
    what: 'limit beyond int64',
    method: 'GET',
    path: '/api/v1/namespaces/bad/configmaps?limit=99999999999999999999',
    code: 400,
    reason: 'BadRequest',
    message: /value out of range/,
  },
  {
    what: 'limit not a number',
    method: 'GET',
    path: '/api/v1/namespaces/bad/configmaps?limit=ten',
    code: 400,
    reason: 'BadRequest',
    message: /invalid syntax/,
  },
  {
    what: 'continue token with a fractional resourceVersion',
    method: 'GET',
    path: `/api/v1/namespaces/bad/configmaps?limit=1&continue=${token(1.5)}`,
    code: 400,
    reason: 'BadRequest',
    message: /continue key is not valid/,
  },
  {
    what: 'YAML alias bomb',
    method: 'POST',
    path: '/api/v1/namespaces/bad/configmaps',
    body: aliasBomb(),
    headers: { 'Content-Type': 'application/yaml' },
    code: 400,
    reason: 'BadRequest',
    message: /excessive aliasing/,
  },
  {
    what: 'unsupported Accept',
    method: 'GET',
    path: '/api/v1/namespaces/bad/configmaps/keep-0',
    headers: { Accept: 'application/xml' },
    code: 406,
    reason: 'NotAcceptable',
    message: /only the following media types are accepted/,
  },
  {
    what: 'JSON patch removing /metadata',
    method: 'PATCH',
    path: '/api/v1/namespaces/bad/configmaps/keep-0',
    body: '[{"op":"remove","path":"/metadata"}]',
    headers: { 'Content-Type': 'application/json-patch+json' },
    code: 422,
    reason: 'Invalid',
    message: /metadata\.name: Required value/,
  },
  {
    what: 'Secret data not base64',
    method: 'POST',
    path: '/api/v1/namespaces/bad/secrets',
    body: { metadata: { name: 's' }, data: { a: '!!!notbase64' } },
    code: 400,
    reason: 'BadRequest',
    message: /illegal base64 data at input byte 0/,
  },
  {
    what: 'quantity beyond int64',
    method: 'POST',
    path: '/api/v1/namespaces/bad/pods',
    body: pod({ spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '1e1000000' } } }] } }),
    code: 422,
    reason: 'Invalid',
    message: /spec\.containers\[0\]\.resources\.requests\.cpu: Invalid value: "1e1000000"/,
  },
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

/** The server's resident memory, from /proc (the server is a child process of this test). */
function rssBytes(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.proc.pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** A plain GET answers quickly: nothing is left blocking the event loop. */
async function assertResponsive(after: string): Promise<void> {
  const start = Date.now();
  const r = await api(s, 'GET', '/api/v1/namespaces/bad/configmaps/keep-0');
  assert.equal(r.status, 200, after);
  assert.ok(Date.now() - start < 1000, `a GET after ${after} took ${Date.now() - start} ms`);
}

const deepObject = (n: number) => '{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1);

test('one request cannot take the control plane down: huge quantities, deep nesting, patch amplification, big objects', async () => {
  const copies = [
    { op: 'add', path: '/metadata/annotations', value: { x: 'y'.repeat(40) } },
    { op: 'add', path: '/data', value: { v: ['y'.repeat(40)] } },
  ];
  for (let i = 0; i < 26; i++) copies.push({ op: 'copy', from: '/data/v', path: '/data/v/-' } as never);
  const heavy: Case[] = [
    {
      what: 'cpu request of 1e10000000',
      method: 'POST',
      path: '/api/v1/namespaces/bad/pods',
      body: pod({
        spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '1e10000000' }, limits: { memory: '1' + '0'.repeat(1_000_000) } } }] },
      }),
      code: 422,
      reason: 'Invalid',
      message: /must be no more than 9223372036854775807/,
    },
    {
      what: 'JSON nested 10001 deep',
      method: 'POST',
      path: '/api/v1/namespaces/bad/configmaps',
      body: `{"metadata":{"name":"deep"},"x":${deepObject(10_001)}}`,
      code: 400,
      reason: 'BadRequest',
      message: /exceeded max depth of 10000/,
    },
    {
      what: 'merge patch nested 10001 deep',
      method: 'PATCH',
      path: '/api/v1/namespaces/bad/configmaps/keep-0',
      body: `{"x":${deepObject(10_001)}}`,
      headers: { 'Content-Type': 'application/merge-patch+json' },
      code: 400,
      reason: 'BadRequest',
      message: /exceeded max depth/,
    },
    {
      what: 'strategic merge patch nested 10001 deep',
      method: 'PATCH',
      path: '/api/v1/namespaces/bad/configmaps/keep-0',
      body: `{"x":${deepObject(10_001)}}`,
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
      code: 400,
      reason: 'BadRequest',
      message: /exceeded max depth/,
    },
    {
      what: 'YAML nested 10001 deep',
      method: 'POST',
      path: '/api/v1/namespaces/bad/configmaps',
      body: 'metadata: {name: deep}\nx: ' + '['.repeat(10_001) + ']'.repeat(10_001) + '\n',
      headers: { 'Content-Type': 'application/yaml' },
      code: 400,
      reason: 'BadRequest',
      message: /exceeded max depth/,
    },
    {
      what: 'server-side apply nested 10001 deep',
      method: 'PATCH',
      path: '/api/v1/namespaces/bad/configmaps/keep-0?fieldManager=t',
      body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"keep-0"},"x":${deepObject(10_001)}}`,
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      code: 400,
      reason: 'BadRequest',
      message: /exceeded max depth of 10000/,
    },
    // This one aborted the whole server process (V8 out of memory compiling a regular expression at the stack limit).
    {
      what: 'server-side apply of YAML flow mappings nested 10001 deep',
      method: 'PATCH',
      path: '/api/v1/namespaces/bad/configmaps/keep-0?fieldManager=t',
      body: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep-0}\nx: ${'{a: '.repeat(10_001)}1${'}'.repeat(10_001)}\n`,
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      code: 400,
      reason: 'BadRequest',
      message: /exceeded max depth/,
    },
    {
      what: 'JSON patch of 10001 operations',
      method: 'PATCH',
      path: '/api/v1/namespaces/bad/configmaps/keep-0',
      body: JSON.stringify(Array(10_001).fill({ op: 'test', path: '/data/i', value: '0' })),
      headers: { 'Content-Type': 'application/json-patch+json' },
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: /The allowed maximum operations in a JSON patch is 10000, got 10001/,
    },
    {
      what: '26 copies doubling a value',
      method: 'PATCH',
      path: '/api/v1/namespaces/bad/configmaps/keep-0',
      body: JSON.stringify(copies),
      headers: { 'Content-Type': 'application/json-patch+json' },
      code: 422,
      reason: 'Invalid',
      message: /accumulated size increase of copy is \d+, exceeding the limit 3145728/,
    },
    // Under the 3 MiB body limit, valid (no field limit applies to args), over what etcd stores.
    {
      what: "an object over etcd's 1.5 MiB",
      method: 'POST',
      path: '/api/v1/namespaces/bad/pods',
      body: pod({ metadata: { name: 'big' }, spec: { containers: [{ name: 'c', image: 'i', args: Array(20).fill('a'.repeat(100 * 1024)) }] } }),
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: /^Request entity too large: etcdserver: request is too large$/,
    },
  ];
  const before = await snapshot();
  const rssBefore = rssBytes();
  for (const c of heavy) {
    const start = Date.now();
    const r = await api(s, c.method, c.path, c.body, c.headers);
    const took = Date.now() - start;
    assert.equal(r.status, c.code, `${c.what}: got ${r.status} ${r.text.slice(0, 300)}`);
    assert.equal(r.json?.kind, 'Status', c.what);
    assert.equal(r.json.reason, c.reason, c.what);
    assert.match(r.json.message, c.message!, c.what);
    assert.ok(took < 5000, `${c.what} took ${took} ms`);
    await assertResponsive(c.what);
  }
  assert.ok(rssBytes() - rssBefore < 300 * 1024 * 1024, `server memory grew by ${Math.round((rssBytes() - rssBefore) / 1048576)} MiB`);
  assert.equal(await snapshot(), before, 'stored objects are unchanged');

  // Up to the limit, deep patches apply (the unknown field is dropped, as upstream's decoder does).
  for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
    const r = await api(s, 'PATCH', '/api/v1/namespaces/bad/configmaps/keep-0', `{"x":${deepObject(9_999)},"data":{"deep":"ok"}}`, { 'Content-Type': type });
    assert.equal(r.status, 200, `${type} at depth 9999: ${r.text.slice(0, 300)}`);
    assert.equal(r.json.data.deep, 'ok');
    assert.equal(r.json.x, undefined);
  }
  await assertResponsive('deep patches');
});

test("lists and continue tokens at a revision not reached yet get upstream's 504 Timeout, not a 500", async () => {
  for (const path of [
    '/api/v1/namespaces/bad/configmaps?resourceVersion=99999999&resourceVersionMatch=Exact',
    `/api/v1/namespaces/bad/configmaps?limit=1&continue=${token(99999999)}`,
  ]) {
    const r = await api(s, 'GET', path);
    assert.equal(r.status, 504, `${path}: ${r.text}`);
    assert.equal(r.json.reason, 'Timeout');
    assert.match(r.json.message, /^Timeout: Too large resource version: 99999999, current: \d+$/);
    assert.equal(r.json.details.retryAfterSeconds, 1);
  }
});

test('an object being deleted takes no new finalizers (422), and goes once its finalizers are removed', async () => {
  const path = '/api/v1/namespaces/bad/secrets/held';
  assert.equal((await api(s, 'POST', '/api/v1/namespaces/bad/secrets', { metadata: { name: 'held', finalizers: ['example.com/a'] } })).status, 201);
  assert.equal((await api(s, 'DELETE', path)).status, 200);
  const r = await api(s, 'PATCH', path, { metadata: { finalizers: ['example.com/a', 'example.com/b'] } }, { 'Content-Type': 'application/merge-patch+json' });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.reason, 'Invalid');
  assert.match(
    r.json.message,
    /metadata\.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \[\]string\{"example\.com\/b"\}/,
  );
  assert.equal((await api(s, 'PATCH', path, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' })).status, 200);
  assert.equal((await api(s, 'GET', path)).status, 404);
});

test('a watch with timeoutSeconds above 2147483 stays open instead of ending at once', async () => {
  const { request } = await import('node:https');
  const opened = Date.now();
  const ended = await new Promise<number | undefined>((resolve, reject) => {
    const req = request(
      new URL('/api/v1/namespaces/bad/configmaps?watch=true&timeoutSeconds=2147484', s.url),
      { ca: s.caCert, headers: { Authorization: `Bearer ${s.token}` } },
      (resp) => {
        assert.equal(resp.statusCode, 200);
        resp.resume();
        const timer = setTimeout(() => {
          req.destroy();
          resolve(undefined);
        }, 2500);
        resp.on('end', () => {
          clearTimeout(timer);
          resolve(Date.now() - opened);
        });
      },
    );
    req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
  assert.equal(ended, undefined, `the watch ended after ${ended} ms`);
});

test('concurrent unconditional PATCHes and PUTs on one object all succeed and all land', async () => {
  // Enough writers at once that some lose the compare-and-swap race many times in a row.
  const clients = 40;
  const rounds = 3;
  assert.equal((await api(s, 'POST', '/api/v1/namespaces/bad/secrets', { metadata: { name: 'contended' }, stringData: { seed: 'x' } })).status, 201);
  assert.equal((await api(s, 'POST', '/api/v1/namespaces/bad/secrets', { metadata: { name: 'replaced' }, stringData: { seed: 'x' } })).status, 201);
  const types = ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'];
  const statuses: number[] = [];
  const putVersions: string[] = [];
  const start = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < rounds; i++) {
        const key = `k-${c}-${i}`;
        const type = types[(c + i) % types.length]!;
        const body =
          type === 'application/json-patch+json' ? [{ op: 'add', path: `/metadata/labels/${key}`, value: 'v' }] : { metadata: { labels: { [key]: 'v' } } };
        if (type === 'application/json-patch+json' && i === 0) {
          // A JSON patch needs the labels map to exist: make sure it does without a precondition.
          statuses.push(
            (
              await api(
                s,
                'PATCH',
                '/api/v1/namespaces/bad/secrets/contended',
                { metadata: { labels: { [`init-${c}`]: 'v' } } },
                { 'Content-Type': 'application/merge-patch+json' },
              )
            ).status,
          );
        }
        statuses.push((await api(s, 'PATCH', '/api/v1/namespaces/bad/secrets/contended', body, { 'Content-Type': type })).status);
        const put = await api(s, 'PUT', '/api/v1/namespaces/bad/secrets/replaced', { metadata: { name: 'replaced', labels: { by: key } } });
        statuses.push(put.status);
        if (put.status === 200) putVersions.push(put.json.metadata.resourceVersion);
      }
    }),
  );
  assert.ok(Date.now() - start < 60_000);
  const failed = statuses.filter((c) => c !== 200);
  assert.deepEqual(failed, [], `${failed.length} of ${statuses.length} writes failed`);
  const labels = (await api(s, 'GET', '/api/v1/namespaces/bad/secrets/contended')).json.metadata.labels;
  for (let c = 0; c < clients; c++) for (let i = 0; i < rounds; i++) assert.equal(labels[`k-${c}-${i}`], 'v', `change k-${c}-${i} landed`);
  assert.equal(new Set(putVersions).size, clients * rounds, 'every PUT was its own write');
  const replaced = (await api(s, 'GET', '/api/v1/namespaces/bad/secrets/replaced')).json;
  assert.match(replaced.metadata.labels.by, /^k-\d+-\d+$/);
});

test("over etcd, an object just under our 1.5 MiB check but over etcd's request limit is a 413, not a 500", async (t) => {
  if (!requireCommand('etcd', t)) return;
  const etcd = await startEtcd();
  const es = await startServer({ args: ['--datastore', `etcd://${etcd.endpoints.join(',')}`] });
  try {
    await api(es, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } });
    const big = (arg: string) => pod({ metadata: { name: 'near-limit' }, spec: { containers: [{ name: 'c', image: 'i', args: [arg] }] } });
    // What would be stored for an empty argument, then an argument filling it to 20 bytes under
    // the limit: the key and etcd's framing push the request over.
    const dry = await api(es, 'POST', '/api/v1/namespaces/big/pods?dryRun=All', big(''));
    assert.equal(dry.status, 201, dry.text);
    const arg = 'a'.repeat(1.5 * 1024 * 1024 - Buffer.byteLength(dry.text) - 20);
    const r = await api(es, 'POST', '/api/v1/namespaces/big/pods', big(arg));
    assert.equal(r.status, 413, r.text.slice(0, 300));
    assert.equal(r.json.reason, 'RequestEntityTooLarge');
    assert.equal(r.json.message, 'Request entity too large: etcdserver: request is too large');
    assert.equal((await api(es, 'GET', '/api/v1/namespaces/big/pods')).status, 200);
  } finally {
    await es.stop();
    es.cleanup();
    await etcd.stop();
  }
});
