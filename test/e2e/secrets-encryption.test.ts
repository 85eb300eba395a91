// Secrets encryption at rest end to end: real `berth server` processes, the real kubectl, the
// raw SQLite file and a real etcd (read back with etcdctl), as k3s's --secrets-encryption and
// kube-apiserver's --encryption-provider-config behave.
import { spawnSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { BERTH, kubectl, requireCommand, requireFile, kubectlPath, startServer, type RunningServer } from './harness.js';
import { startEtcd } from './etcd-harness.js';

const dirs: string[] = [];
const servers: RunningServer[] = [];
after(() => {
  for (const s of servers) s.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `berth-${name}-`));
  dirs.push(d);
  return d;
}

async function start(dataDir: string, args: string[] = []): Promise<RunningServer> {
  const s = await startServer({ dataDir, args });
  servers.push(s);
  return s;
}

function berth(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The latest stored value of each key under prefix, straight from the SQLite file of a stopped server. */
function rawSqlite(dataDir: string, prefix: string): Map<string, string> {
  const db = new Database(join(dataDir, 'state.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value, deleted FROM kv WHERE key >= ? AND key < ? ORDER BY rev').all(prefix, prefix + '\uffff') as Array<{
      key: string;
      value: string;
      deleted: number;
    }>;
    const latest = new Map<string, string>();
    for (const r of rows) {
      if (r.deleted) latest.delete(r.key);
      else latest.set(r.key, r.value);
    }
    return latest;
  } finally {
    db.close();
  }
}

const secretData = (s: RunningServer, name: string) => {
  const r = kubectl(s, ['get', 'secret', name, '-o', 'jsonpath={.data.password}']);
  assert.equal(r.code, 0, r.stderr);
  return Buffer.from(r.stdout, 'base64').toString();
};

test('--secrets-encryption: a key file is written 0600, Secrets are ciphertext in state.db and read back through kubectl', async (t) => {
  if (!requireFile(t, kubectlPath(), 'kubectl')) return;
  const dir = tempDir('enc');
  const s = await start(dir, ['--secrets-encryption']);
  const config = join(dir, 'cred', 'encryption-config.json');
  assert.equal(statSync(config).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'cred')).mode & 0o777, 0o700);
  const doc = JSON.parse(readFileSync(config, 'utf8'));
  assert.equal(doc.kind, 'EncryptionConfiguration');
  assert.equal(Buffer.from(doc.resources[0].providers[0].aescbc.keys[0].secret, 'base64').length, 32);

  assert.equal(kubectl(s, ['create', 'secret', 'generic', 'db', '--from-literal=password=hunter2-at-rest']).code, 0);
  assert.equal(kubectl(s, ['create', 'configmap', 'cm', '--from-literal=note=plain-as-before']).code, 0);
  assert.equal(secretData(s, 'db'), 'hunter2-at-rest');
  // The watch cache serves decrypted objects too (a list served from it).
  const list = kubectl(s, ['get', 'secrets', '-o', 'json']);
  assert.match(list.stdout, new RegExp(Buffer.from('hunter2-at-rest').toString('base64')));

  // While the server holds state.db, status says what it can without the store.
  const running = ok(berth(['secrets-encrypt', 'status', '--data-dir', dir]), 'status');
  assert.match(running, /Encryption Status: Enabled/);
  assert.match(running, /Active Key: aescbc:aescbckey/);
  assert.match(running, /unknown while the server \(pid \d+\) holds/);
  assert.equal(await s.stop(), 0);

  const stored = rawSqlite(dir, '/registry/secrets/').get('/registry/secrets/default/db')!;
  assert.ok(stored.startsWith('k8s:enc:aescbc:v1:aescbckey:'), stored.slice(0, 40));
  assert.ok(!stored.includes('hunter2') && !stored.includes(Buffer.from('hunter2-at-rest').toString('base64')) && !stored.includes('"metadata"'));
  assert.match(rawSqlite(dir, '/registry/configmaps/').get('/registry/configmaps/default/cm')!, /plain-as-before/);
  const status = ok(berth(['secrets-encrypt', 'status', '--data-dir', dir]), 'status');
  assert.match(status, /^ {2}aescbc:aescbckey: 1$/m);
  assert.doesNotMatch(status, /identity/);

  // A restart reads them with the same key.
  const again = await start(dir, ['--secrets-encryption']);
  assert.equal(secretData(again, 'db'), 'hunter2-at-rest');
  assert.equal(await again.stop(), 0);
});

test('turned on over plain Secrets: they stay readable, kubectl replace rewrites them encrypted, rotate-keys moves all to a new key and the old one can go', async (t) => {
  if (!requireFile(t, kubectlPath(), 'kubectl')) return;
  const dir = tempDir('enc-upgrade');
  let s = await start(dir);
  for (const n of ['old-a', 'old-b']) assert.equal(kubectl(s, ['create', 'secret', 'generic', n, `--from-literal=password=pw-${n}`]).code, 0);
  assert.equal(kubectl(s, ['create', 'namespace', 'other']).code, 0);
  assert.equal(kubectl(s, ['-n', 'other', 'create', 'secret', 'generic', 'old-c', '--from-literal=password=pw-old-c']).code, 0);
  assert.equal(await s.stop(), 0);
  const plainStatus = ok(berth(['secrets-encrypt', 'status', '--data-dir', dir]), 'status');
  assert.match(plainStatus, /Encryption Status: Disabled/);
  assert.match(plainStatus, /^ {2}identity: 3$/m);

  s = await start(dir, ['--secrets-encryption']);
  assert.equal(secretData(s, 'old-a'), 'pw-old-a');
  assert.equal(kubectl(s, ['create', 'secret', 'generic', 'new-d', '--from-literal=password=pw-new-d']).code, 0);
  assert.equal(await s.stop(), 0);
  assert.match(ok(berth(['secrets-encrypt', 'status', '--data-dir', dir]), 'status'), /^ {2}aescbc:aescbckey: 1\n {2}identity: 3$/m);

  // Upstream's documented procedure to encrypt what was stored before.
  s = await start(dir, ['--secrets-encryption']);
  const all = kubectl(s, ['get', 'secrets', '-A', '-o', 'json']);
  assert.equal(all.code, 0, all.stderr);
  const replaced = kubectl(s, ['replace', '-f', '-'], { input: all.stdout });
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.equal(await s.stop(), 0);
  const raw = rawSqlite(dir, '/registry/secrets/');
  assert.equal(raw.size, 4);
  for (const [k, v] of raw) assert.ok(v.startsWith('k8s:enc:aescbc:v1:aescbckey:'), `${k} is not encrypted: ${v.slice(0, 40)}`);

  // rotate-keys refuses while a server runs: that server would not know the new key.
  s = await start(dir, ['--secrets-encryption']);
  const refused = berth(['secrets-encrypt', 'rotate-keys', '--data-dir', dir]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^berth: error: a server \(pid \d+\) runs on .*: stop it first/);
  assert.equal(refused.stderr.trim().split('\n').length, 1);
  assert.equal(await s.stop(), 0);

  const rotated = ok(berth(['secrets-encrypt', 'rotate-keys', '--data-dir', dir]), 'rotate-keys');
  assert.match(rotated, /re-encrypted 4 values with aescbckey-\d{8}T\d{6}Z/);
  const newKey = /new key (aescbckey-\S+) is first/.exec(rotated)![1]!;
  const status = ok(berth(['secrets-encrypt', 'status', '--data-dir', dir]), 'status');
  assert.match(status, new RegExp(`Active Key: aescbc:${newKey}`));
  assert.match(status, new RegExp(`^  aescbc:${newKey}: 4$`, 'm'));
  assert.doesNotMatch(status, /aescbc:aescbckey:/);
  for (const [k, v] of rawSqlite(dir, '/registry/secrets/')) assert.ok(v.startsWith(`k8s:enc:aescbc:v1:${newKey}:`), `${k}: ${v.slice(0, 50)}`);

  // The old key is no longer needed: remove it, and everything still reads.
  const file = join(dir, 'cred', 'encryption-config.json');
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  assert.deepEqual(
    doc.resources[0].providers[0].aescbc.keys.map((k: { name: string }) => k.name),
    [newKey, 'aescbckey'],
  );
  doc.resources[0].providers[0].aescbc.keys.pop();
  writeFileSync(file, JSON.stringify(doc));
  s = await start(dir, ['--secrets-encryption']);
  for (const n of ['old-a', 'old-b', 'new-d']) assert.equal(secretData(s, n), `pw-${n}`);
  const c = kubectl(s, ['-n', 'other', 'get', 'secret', 'old-c', '-o', 'jsonpath={.data.password}']);
  assert.equal(Buffer.from(c.stdout, 'base64').toString(), 'pw-old-c');
  assert.equal(await s.stop(), 0);
});

test('a bad --encryption-provider-config stops the start with one clear line and exit 1', () => {
  const dir = tempDir('enc-bad');
  const file = join(dir, 'enc.yaml');
  writeFileSync(
    file,
    'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: k\n        secret: c2hvcnQ=\n',
  );
  const r = berth(['server', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--no-agent', '--encryption-provider-config', file]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^berth: error: .*enc\.yaml: resources\[0\]\.providers\[0\]\.aescbc\.keys\[0\]\.secret: aescbc keys are 32 bytes, this one is 5/);
  const missing = berth(['secrets-encrypt', 'rotate-keys', '--data-dir', join(dir, 'none')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^berth: error: secrets encryption is not on: no .*encryption-config.json/);
});

test('over etcd with --encryption-provider-config: etcdctl shows upstream aesgcm bytes (nonce, ciphertext, tag; key as AAD) for Secrets and ConfigMaps only', async (t) => {
  if (!requireCommand('etcd', t) || !requireCommand('etcdctl', t) || !requireFile(t, kubectlPath(), 'kubectl')) return;
  const etcd = await startEtcd();
  try {
    const dir = tempDir('enc-etcd');
    const key = Buffer.alloc(32, 0x5a);
    const file = join(dir, 'enc.yaml');
    writeFileSync(
      file,
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets, configmaps]\n  providers:\n  - aesgcm:\n      keys:\n      - name: gcm1\n        secret: ${key.toString('base64')}\n  - identity: {}\n`,
    );
    const s = await start(join(dir, 'data'), ['--datastore', `etcd://${etcd.endpoints.join(',')}`, '--encryption-provider-config', file]);
    assert.equal(kubectl(s, ['create', 'secret', 'generic', 'db', '--from-literal=password=etcd-hunter2']).code, 0);
    assert.equal(kubectl(s, ['create', 'configmap', 'cm', '--from-literal=note=etcd-config']).code, 0);
    assert.equal(secretData(s, 'db'), 'etcd-hunter2');
    const etcdGet = (k: string) => {
      const r = spawnSync('etcdctl', ['--endpoints', etcd.endpoints.join(','), 'get', k, '--print-value-only'], { timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr?.toString());
      return r.stdout.subarray(0, r.stdout.length - 1); // etcdctl ends the value with a newline
    };
    for (const [k, want] of [
      ['/registry/secrets/default/db', 'etcd-hunter2'],
      ['/registry/configmaps/default/cm', 'etcd-config'],
    ] as const) {
      const bytes = etcdGet(k);
      const prefix = 'k8s:enc:aesgcm:v1:gcm1:';
      assert.equal(bytes.subarray(0, prefix.length).toString('latin1'), prefix);
      assert.ok(!bytes.includes(want) && !bytes.includes(Buffer.from(want).toString('base64')));
      const body = bytes.subarray(prefix.length);
      const d = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
      d.setAAD(Buffer.from(k));
      d.setAuthTag(body.subarray(body.length - 16));
      const obj = JSON.parse(Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString('utf8'));
      assert.equal(obj.metadata.name, k.split('/').at(-1));
      assert.ok(JSON.stringify(obj).includes(k.includes('secrets') ? Buffer.from(want).toString('base64') : want));
    }
    assert.match(etcdGet('/registry/namespaces/default').toString('utf8'), /^\{.*"kind":"Namespace"/);
    assert.equal(await s.stop(), 0);
  } finally {
    await etcd.stop();
  }
});
