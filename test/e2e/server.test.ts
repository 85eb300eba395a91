// The server process as a user meets it: readiness line, TLS, authentication, clean shutdown,
// restarts that reuse credentials, and durability of acknowledged writes across kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { api, eventually, startServer } from './harness.js';

function rawGet(url: string, ca: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = request(new URL(path, url), { ca }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

test('server: ready line, open health endpoints, 401 Status without credentials, 0600 kubeconfig', async () => {
  const s = await startServer();
  try {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(statSync(s.kubeconfig).mode & 0o777, 0o600);
    assert.match(readFileSync(s.kubeconfig, 'utf8'), /certificate-authority-data/);
    for (const p of ['/healthz', '/livez', '/readyz']) assert.equal((await rawGet(s.url, s.caCert, p)).status, 200, p);
    const version = JSON.parse((await rawGet(s.url, s.caCert, '/version')).body);
    assert.equal(version.major, '1');
    const denied = await rawGet(s.url, s.caCert, '/api/v1/namespaces');
    assert.equal(denied.status, 401);
    const status = JSON.parse(denied.body);
    assert.equal(status.kind, 'Status');
    assert.equal(status.reason, 'Unauthorized');
    const wrong = await api(s, 'GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    const ok = await api(s, 'GET', '/api/v1/namespaces');
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ok.json.items.map((n: any) => n.metadata.name),
      ['default', 'kube-node-lease', 'kube-public', 'kube-system'],
    );
    assert.equal(await s.stop(), 0);
  } finally {
    s.cleanup();
  }
});

test('server: restart reuses CA, serving certificate and token; SIGINT exits 0', async () => {
  const first = await startServer();
  const dataDir = first.dataDir;
  const ca = first.caCert;
  const token = first.token;
  assert.equal(await first.stop(), 0);
  const second = await startServer({ dataDir });
  try {
    assert.equal(second.caCert, ca);
    assert.equal(second.token, token);
    const r = await api(second, 'GET', '/api/v1/namespaces/default');
    assert.equal(r.status, 200);
    second.proc.kill('SIGINT');
    assert.equal(await new Promise((res) => second.proc.on('exit', res)), 0);
  } finally {
    second.cleanup();
    first.cleanup();
  }
});

test('server: every acknowledged write survives kill -9', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-kill9-'));
  const acked: string[] = [];
  try {
    const s = await startServer({ dataDir });
    // Keep many writes in flight and kill the server once a good number were acknowledged.
    let killed = false;
    let next = 0;
    const writer = async () => {
      while (!killed) {
        const i = next++;
        const r = await api(s, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } }).catch(() => undefined);
        if (r?.status === 201) acked.push(r.json.metadata.name);
      }
    };
    const writers = Array.from({ length: 16 }, writer);
    await eventually(() => acked.length >= 100, 'writes acknowledged', 30_000);
    await s.kill9();
    killed = true;
    await Promise.all(writers);
    assert.ok(acked.length >= 100, 'writes were acknowledged before the kill');
    const again = await startServer({ dataDir });
    try {
      const r = await api(again, 'GET', '/api/v1/namespaces/default/configmaps');
      const names = new Set(r.json.items.map((c: any) => c.metadata.name));
      const lost = acked.filter((n) => !names.has(n));
      assert.deepEqual(lost, [], `acknowledged writes lost after kill -9 (${acked.length} acknowledged)`);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
