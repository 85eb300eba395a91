// The server process as a user meets it: readiness line, TLS, authentication, clean shutdown,
// restarts that reuse credentials, and durability of acknowledged writes across kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { BERTH, api, eventually, startServer } from './harness.js';

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

test("server: ready line, open health endpoints, anonymous refused with upstream's 403, 401 for a wrong token, 0600 kubeconfig", async () => {
  const s = await startServer();
  try {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(statSync(s.kubeconfig).mode & 0o777, 0o600);
    assert.match(readFileSync(s.kubeconfig, 'utf8'), /certificate-authority-data/);
    for (const p of ['/healthz', '/livez', '/readyz']) assert.equal((await rawGet(s.url, s.caCert, p)).status, 200, p);
    const version = JSON.parse((await rawGet(s.url, s.caCert, '/version')).body);
    assert.equal(version.major, '1');
    // Without credentials a request is system:anonymous, which the default policy lets see health only.
    const denied = await rawGet(s.url, s.caCert, '/api/v1/namespaces');
    assert.equal(denied.status, 403);
    const status = JSON.parse(denied.body);
    assert.equal(status.kind, 'Status');
    assert.equal(status.reason, 'Forbidden');
    assert.equal(status.message, 'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope');
    assert.equal((await rawGet(s.url, s.caCert, '/apis')).status, 403, 'discovery is for authenticated users only');
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

test('server: restart reuses CA, serving certificate, token and join token; SIGINT exits 0', async () => {
  const first = await startServer();
  const dataDir = first.dataDir;
  const ca = first.caCert;
  const token = first.token;
  const joinToken = readFileSync(join(dataDir, 'token'), 'utf8');
  assert.equal(await first.stop(), 0);
  const second = await startServer({ dataDir });
  try {
    assert.equal(second.caCert, ca);
    assert.equal(second.token, token);
    assert.equal(readFileSync(join(dataDir, 'token'), 'utf8'), joinToken, 'agents joined before keep their token');
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
        const r = await api(s, 'POST', '/api/v1/namespaces/default/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i}` },
          data: { i: String(i) },
        }).catch(() => undefined);
        if (r?.status === 201) acked.push(r.json.metadata.name);
      }
    };
    const writers = Array.from({ length: 16 }, writer);
    await eventually(() => acked.length >= 100, 'writes acknowledged', 30_000);
    await s.kill9();
    killed = true;
    // The killed server's lock is left behind, stale: the restart below takes it over.
    assert.equal(readFileSync(join(dataDir, 'berth.lock'), 'utf8').split(' ')[0], String(s.proc.pid));
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

test('server, controller-manager and agent: bad flags give one clear error line, exit 1, and write nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-flags-'));
  try {
    const cases: Array<[string[], RegExp]> = [
      [['--cluster-cidr', '10.42.0.0/33'], /^berth: error: --cluster-cidr: invalid CIDR address: 10\.42\.0\.0\/33\n$/],
      [['--cluster-cidr', '10.42.1.0/16'], /^berth: error: --cluster-cidr: 10\.42\.1\.0\/16 has host bits set \(the network is 10\.42\.0\.0\/16\)\n$/],
      [['--node-cidr-mask-size', '8'], /^berth: error: --node-cidr-mask-size 8 is smaller than the prefix of --cluster-cidr 10\.42\.0\.0\/16: .*\n$/],
      [
        ['--cluster-cidr', '10.42.0.0/24', '--node-cidr-mask-size', '16'],
        /^berth: error: --node-cidr-mask-size 16 is smaller than the prefix of --cluster-cidr 10\.42\.0\.0\/24: .*\(use 24 or more\)\n$/,
      ],
      [['--node-cidr-mask-size', 'x'], /^berth: error: --node-cidr-mask-size must be a whole number .*got "x"\n$/],
      [['--allocate-node-cidrs=maybe'], /^berth: error: --allocate-node-cidrs must be true or false, got "maybe"\n$/],
    ];
    for (const [args, want] of cases) {
      const server = spawnSync(process.execPath, [BERTH, 'server', '--data-dir', dir, '--listen', '127.0.0.1:0', '--no-agent', ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(server.status, 1, `server ${args.join(' ')}: ${server.stderr}`);
      assert.match(server.stderr, want, `server ${args.join(' ')}`);
      const cm = spawnSync(process.execPath, [BERTH, 'controller-manager', '--kubeconfig', join(dir, 'none.yaml'), ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(cm.status, 1, `controller-manager ${args.join(' ')}: ${cm.stderr}`);
      assert.match(cm.stderr, want, `controller-manager ${args.join(' ')}`);
    }
    const agent = spawnSync(
      process.execPath,
      [BERTH, 'agent', '--server', 'https://127.0.0.1:1', '--token', 't', '--data-dir', dir, '--pod-cidr', '10.42.0.0/33'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(agent.status, 1, agent.stderr);
    assert.equal(agent.stderr, 'berth: error: --pod-cidr: invalid CIDR address: 10.42.0.0/33\n');
    // The agent fetches the cluster CA first: a server it cannot reach is one line.
    const noCa = spawnSync(process.execPath, [BERTH, 'agent', '--server', 'https://127.0.0.1:1', '--token', 't', '--data-dir', dir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(noCa.status, 1, noCa.stderr);
    assert.equal(noCa.stderr, 'berth: error: cannot fetch the cluster CA from https://127.0.0.1:1/cacerts: ECONNREFUSED\n');
    const badToken = spawnSync(process.execPath, [BERTH, 'agent', '--server', 'https://127.0.0.1:1', '--token', 'K10abc::server:x', '--data-dir', dir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(badToken.status, 1, badToken.stderr);
    assert.equal(badToken.stderr, "berth: error: the token's CA hash is not 64 hex digits (format: K10<sha256 hex>::server:<secret>)\n");
    const signing = spawnSync(
      process.execPath,
      [BERTH, 'controller-manager', '--kubeconfig', join(dir, 'none.yaml'), '--cluster-signing-cert-file', join(dir, 'ca.crt')],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(signing.status, 1, signing.stderr);
    assert.equal(signing.stderr, 'berth: error: --cluster-signing-cert-file and --cluster-signing-key-file go together\n');
    const missingCa = spawnSync(
      process.execPath,
      [
        BERTH,
        'controller-manager',
        '--kubeconfig',
        join(dir, 'none.yaml'),
        '--cluster-signing-cert-file',
        join(dir, 'ca.crt'),
        '--cluster-signing-key-file',
        join(dir, 'ca.key'),
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(missingCa.status, 1, missingCa.stderr);
    assert.equal(missingCa.stderr, `berth: error: --cluster-signing-cert-file ${join(dir, 'ca.crt')}: no such file\n`);
    assert.deepEqual(readdirSync(dir), [], 'nothing written to the data dir');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('server: one server per data dir and per SQLite file; private store files; a warning for an open data dir', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  const otherDir = mkdtempSync(join(tmpdir(), 'berth-lock2-'));
  chmodSync(dataDir, 0o755);
  const s = await startServer({ dataDir });
  try {
    assert.match(s.output(), new RegExp(`^W\\d{4} .* server\\] data dir ${dataDir} has mode 0755`, 'm'));
    for (const f of ['state.db', 'state.db-wal']) assert.equal(statSync(join(dataDir, f)).mode & 0o777, 0o600, `${f} is 0600`);
    const fresh = join(otherDir, 'new');
    const run = (args: string[]) =>
      spawnSync(process.execPath, [BERTH, 'server', '--no-agent', '--listen', '127.0.0.1:0', ...args], { encoding: 'utf8', timeout: 30_000 });
    // The same data dir: refused at once, naming the running server.
    const second = run(['--data-dir', dataDir]);
    assert.equal(second.status, 1, second.stderr);
    assert.equal(
      second.stderr,
      `berth: error: data dir ${dataDir} is in use by another berth (pid ${s.proc.pid}); stop that one first, or give another --data-dir\n`,
    );
    // Another data dir on the same SQLite file: SQLite's lock refuses it.
    const shared = run(['--data-dir', fresh, '--datastore', `sqlite:${join(dataDir, 'state.db')}`]);
    assert.equal(shared.status, 1, shared.stderr);
    assert.match(shared.stderr, /^berth: error: .*state\.db is in use by another process/);
    assert.equal(shared.stderr.trim().split('\n').length, 1, shared.stderr);
    // A data dir the server makes itself is private; the first server still answers.
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
    assert.equal((await api(s, 'GET', '/api/v1/namespaces')).status, 200);
    // Stopped cleanly: the lock is given back.
    assert.equal(await s.stop(), 0);
    assert.ok(!existsSync(join(dataDir, 'berth.lock')), 'no lock file after a clean stop');
  } finally {
    s.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(otherDir, { recursive: true, force: true });
  }
});
