import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ensurePki, issueCertificate } from '../apiserver/pki.js';
import { StatusError } from './errors.js';
import { RestClient, requestTarget, retryAfterSeconds } from './rest.js';

/** A loopback server answering each request with the next of `answers` (the last one repeats); records what came. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function withServer(
  answers: Array<{ code: number; retryAfter?: string; body?: string }>,
  fn: (client: RestClient, seen: Seen[]) => Promise<void>,
  maxRetries?: number,
  token?: string,
): Promise<void> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const a = answers[Math.min(seen.length, answers.length - 1)]!;
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (a.retryAfter !== undefined) res.setHeader('Retry-After', a.retryAfter);
      res.writeHead(a.code, { 'Content-Type': 'application/json' });
      res.end(
        a.body ??
          (a.code < 300
            ? JSON.stringify({ kind: 'Pod', metadata: { name: 'p' } })
            : JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: a.code, reason: 'TooManyRequests', message: 'not now' })),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new RestClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxRetries, token, userAgent: 'rest-test/1' });
  try {
    await fn(client, seen);
  } finally {
    client.close();
    server.close();
  }
}

test('rest client: a 429 with Retry-After is waited out and sent again, body and all, as client-go does', async () => {
  await withServer([{ code: 429, retryAfter: '0' }, { code: 429, retryAfter: '0' }, { code: 201 }], async (client, seen) => {
    const got = await client.request<{ metadata: { name: string } }>('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' } });
    assert.equal(got.metadata.name, 'p');
    assert.deepEqual(
      seen.map((s) => [s.method, s.body]),
      Array(3).fill(['POST', '{"metadata":{"name":"p"}}']),
    );
  });
});

test('rest client: a 503 with Retry-After is retried; the wait is the one the header names', async () => {
  await withServer([{ code: 503, retryAfter: '1' }, { code: 200 }], async (client, seen) => {
    const t0 = performance.now();
    await client.request('GET', '/api/v1/namespaces/default/pods/p');
    const waited = performance.now() - t0;
    assert.equal(seen.length, 2);
    assert.ok(waited >= 950 && waited < 5000, `waited ${waited} ms for Retry-After: 1`);
  });
});

test('rest client: retries stop after maxRetries, and the caller gets the last answer', async () => {
  await withServer(
    [{ code: 429, retryAfter: '0' }],
    async (client, seen) => {
      await assert.rejects(client.request('GET', '/api/v1/pods'), (e: unknown) => e instanceof StatusError && e.status.code === 429);
      assert.equal(seen.length, 4, 'the first attempt and 3 retries');
    },
    3,
  );
});

test('rest client: no Retry-After, or a code that is not 429/5xx, is not retried', async () => {
  await withServer([{ code: 500 }], async (client, seen) => {
    await assert.rejects(client.request('GET', '/api/v1/pods'), (e: unknown) => e instanceof StatusError && e.status.code === 500);
    assert.equal(seen.length, 1);
  });
  await withServer([{ code: 409, retryAfter: '0' }], async (client, seen) => {
    await assert.rejects(client.request('PUT', '/api/v1/namespaces/default/pods/p', {}), (e: unknown) => e instanceof StatusError && e.status.code === 409);
    assert.equal(seen.length, 1);
  });
});

test('rest client: an abort during the wait ends the request at once', async () => {
  await withServer([{ code: 429, retryAfter: '30' }], async (client, seen) => {
    const ac = new AbortController();
    const t0 = performance.now();
    const p = client.request('GET', '/api/v1/pods', undefined, undefined, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stopped')), 100);
    await assert.rejects(p, /stopped/);
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(seen.length, 1);
  });
});

test('rest client: each request carries the Host, Accept, User-Agent and token headers, and a body its type and length', async () => {
  await withServer(
    [{ code: 201 }],
    async (client, seen) => {
      const port = client.server.split(':').pop();
      await client.request('POST', '/api/v1/namespaces/default/configmaps', { data: { k: 'välue' } }, undefined, undefined, { headers: { 'X-Extra': 'yes' } });
      await client.request('GET', '/api/v1/namespaces/default/configmaps/c');
      const [post, get] = seen;
      assert.equal(post!.headers.host, `127.0.0.1:${port}`);
      assert.equal(post!.headers.accept, 'application/json');
      assert.equal(post!.headers['user-agent'], 'rest-test/1');
      assert.equal(post!.headers.authorization, 'Bearer s3cret');
      assert.equal(post!.headers['x-extra'], 'yes');
      assert.equal(post!.headers['content-type'], 'application/json');
      assert.equal(post!.headers['content-length'], String(Buffer.byteLength(post!.body)));
      assert.equal(post!.body, '{"data":{"k":"välue"}}');
      assert.equal(get!.headers['content-length'], undefined);
      assert.equal(get!.headers['x-extra'], undefined, "one call's headers do not stay for the next");
      assert.equal(get!.headers.connection, 'keep-alive');
      await client.request('PATCH', '/x', '{}', undefined, 'application/merge-patch+json', {
        headers: { accept: 'application/json;as=Table', 'Content-Type': 'text/plain', 'content-length': '999' },
      });
      assert.equal(seen[2]!.headers.accept, 'application/json;as=Table', "a caller's header replaces the client's own");
      assert.equal(seen[2]!.headers['content-type'], 'application/merge-patch+json', 'the body is framed by the client');
      assert.equal(seen[2]!.headers['content-length'], '2');
      assert.equal(seen[2]!.body, '{}');
    },
    undefined,
    's3cret',
  );
});

test('rest client: with discardAnswer a success is not decoded (even when it is not JSON); a failure still is', async () => {
  await withServer([{ code: 200, body: 'not JSON at all' }], async (client) => {
    assert.equal(
      await client.request('PUT', '/api/v1/namespaces/default/pods/p/status', { status: {} }, undefined, undefined, { discardAnswer: true }),
      undefined,
    );
    await assert.rejects(
      client.request('PUT', '/api/v1/namespaces/default/pods/p/status', { status: {} }),
      SyntaxError,
      'without the option the answer is parsed',
    );
  });
  const conflict = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code: 409,
    reason: 'Conflict',
    message: 'the object has been modified',
  });
  await withServer([{ code: 409, body: conflict }], async (client) => {
    await assert.rejects(
      client.updateStatus({ group: '', version: 'v1', resource: 'pods' }, { metadata: { name: 'p', namespace: 'default' } }, { discardAnswer: true }),
      (e: unknown) => e instanceof StatusError && e.reason === 'Conflict' && e.code === 409 && e.message === 'the object has been modified',
    );
  });
  await withServer(
    [
      { code: 429, retryAfter: '0' },
      { code: 201, body: '{' },
    ],
    async (client, seen) => {
      await client.create({ group: '', version: 'v1', resource: 'events' }, { metadata: { name: 'e', namespace: 'default' } }, { discardAnswer: true });
      assert.equal(seen.length, 2, 'a 429 is still waited out and sent again');
      assert.equal(seen[1]!.url, '/api/v1/namespaces/default/events');
    },
  );
});

test('rest client: createForName resolves with the name the server gave the created object', async () => {
  const created = JSON.stringify({
    kind: 'Pod',
    spec: { containers: [{ name: 'c' }] },
    metadata: { generateName: 'web-', name: 'web-x2x9q', namespace: 'apps' },
  });
  await withServer([{ code: 201, body: created }], async (client, seen) => {
    const pods = { group: '', version: 'v1', resource: 'pods' };
    assert.equal(await client.createForName(pods, { metadata: { generateName: 'web-', namespace: 'apps' } }), 'web-x2x9q');
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.url, '/api/v1/namespaces/apps/pods');
  });
  await withServer([{ code: 201, body: '{"kind":"Pod","metadata":{}}' }], async (client) => {
    await assert.rejects(
      client.createForName({ group: '', version: 'v1', resource: 'pods', namespace: 'a' }, { metadata: { generateName: 'w-' } }),
      /no metadata\.name/,
    );
  });
  const invalid = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 422, reason: 'Invalid', message: 'Pod "" is invalid' });
  await withServer([{ code: 422, body: invalid }], async (client) => {
    await assert.rejects(
      client.createForName({ group: '', version: 'v1', resource: 'pods', namespace: 'a' }, { metadata: { generateName: 'w-' } }),
      (e: unknown) => e instanceof StatusError && e.reason === 'Invalid',
    );
  });
});

test('requestTarget: resource paths as they are, queries escaped, other paths normalized as a URL would', () => {
  assert.equal(requestTarget('/api/v1/namespaces/default/pods/web-1.abc'), '/api/v1/namespaces/default/pods/web-1.abc');
  assert.equal(
    requestTarget('/api/v1/pods', { labelSelector: 'app in (a,b)', fieldSelector: 'spec.nodeName=n1', limit: 500, continue: undefined, watch: '', x: null }),
    '/api/v1/pods?labelSelector=app%20in%20(a%2Cb)&fieldSelector=spec.nodeName%3Dn1&limit=500',
  );
  assert.equal(requestTarget('/api/v1/pods?watch=1', { resourceVersion: '7' }), '/api/v1/pods?watch=1&resourceVersion=7');
  assert.equal(requestTarget('/apis/x', { dryRun: ['All', 'a&b'] }), '/apis/x?dryRun=All&dryRun=a%26b');
  assert.equal(requestTarget('/api/v1/namespaces/a b/pods'), '/api/v1/namespaces/a%20b/pods');
  assert.equal(requestTarget('/api/v1/namespaces/x/../pods'), '/api/v1/namespaces/pods');
  assert.equal(requestTarget('/api/./v1#frag'), '/api/v1');
  // What the server decodes is what was asked for.
  const params = new URL(requestTarget('/p', { labelSelector: 'a=b,c!=d é+ü', n: 3 }), 'http://x').searchParams;
  assert.equal(params.get('labelSelector'), 'a=b,c!=d é+ü');
  assert.equal(params.get('n'), '3');
});

test('retryAfterSeconds: whole seconds only, as client-go reads the header', () => {
  assert.equal(retryAfterSeconds('1'), 1);
  assert.equal(retryAfterSeconds(' 10 '), 10);
  assert.equal(retryAfterSeconds(undefined), undefined);
  assert.equal(retryAfterSeconds('Wed, 21 Oct 2026 07:28:00 GMT'), undefined);
  assert.equal(retryAfterSeconds('-1'), undefined);
});

test('rest client over TLS: every connection presents the client certificate, and a renewed one from then on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rest-tls-'));
  const pki = await ensurePki(dir, '127.0.0.1');
  const ca = { cert: pki.caCert, key: pki.caKey };
  const alice = await issueCertificate(ca, { commonName: 'alice', usage: 'client' });
  const bob = await issueCertificate(ca, { commonName: 'bob', usage: 'client' });
  const connections = new Set<TLSSocket>();
  const server = createTlsServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const socket = req.socket as TLSSocket;
    connections.add(socket);
    // Slow enough that concurrent requests need connections of their own.
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Who', metadata: { name: socket.getPeerCertificate().subject.CN } }));
    }, 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new RestClient({ server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: pki.caCert, ...alice });
  try {
    const who = () => client.request<{ metadata: { name: string } }>('GET', '/who').then((r) => r.metadata.name);
    assert.deepEqual(await Promise.all(Array.from({ length: 8 }, who)), Array(8).fill('alice'));
    assert.ok(connections.size >= 2, `${connections.size} connections`);
    client.setClientCertificate(bob.cert, bob.key);
    assert.deepEqual(await Promise.all(Array.from({ length: 4 }, who)), Array(4).fill('bob'));
  } finally {
    client.close();
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rest client over TLS: a server whose certificate another CA signed is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rest-tls-'));
  const ours = await ensurePki(join(dir, 'ours'), '127.0.0.1');
  const theirs = await ensurePki(join(dir, 'theirs'), '127.0.0.1');
  let served = 0;
  const server = createTlsServer({ key: theirs.serverKey, cert: theirs.serverCert }, (_req, res) => {
    served++;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new RestClient({ server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: ours.caCert });
  try {
    await assert.rejects(client.request('GET', '/version'), (e: unknown) => /certificate/i.test((e as Error).message) && !(e instanceof StatusError));
    assert.equal(served, 0);
  } finally {
    client.close();
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
