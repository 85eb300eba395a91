// Berth over real etcd: several API servers sharing one cluster, a 3-member etcd losing a
// member, etcd lost and back while serving, a clear error when etcd is unreachable at start,
// and datastore migration both ways.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, BERTH, eventually, requireCommand, startServer, watchEvents, type RunningServer } from './harness.js';
import { freePort, startEtcd, type RunningEtcd } from './etcd-harness.js';

const hasEtcd = requireCommand('etcd');
const cleanups: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function etcdCluster(members = 1): Promise<RunningEtcd> {
  const e = await startEtcd({ members });
  cleanups.push(() => e.stop());
  return e;
}

async function serverOn(etcd: RunningEtcd | string[]): Promise<RunningServer> {
  const endpoints = Array.isArray(etcd) ? etcd : etcd.endpoints;
  const s = await startServer({ args: ['--datastore', `etcd://${endpoints.join(',')}`] });
  cleanups.push(async () => {
    await s.stop();
    s.cleanup();
  });
  return s;
}

const cm = (name: string, data: Record<string, string> = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

test('two API servers over one etcd serve the same cluster', { skip: !hasEtcd }, async () => {
  const etcd = await etcdCluster();
  const [a, b] = [await serverOn(etcd), await serverOn(etcd)];
  const list = await api(b, 'GET', '/api/v1/namespaces/default/configmaps');
  const w = watchEvents(b, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`);
  try {
    const created = await api(a, 'POST', '/api/v1/namespaces/default/configmaps', cm('shared'));
    assert.equal(created.status, 201);
    await eventually(
      () => w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'shared'),
      'the watch on server b sees the create on server a',
    );
    // Optimistic concurrency holds across servers: b updates, a's stale copy is refused.
    const onB = await api(b, 'GET', '/api/v1/namespaces/default/configmaps/shared');
    assert.equal(onB.json.metadata.uid, created.json.metadata.uid);
    assert.equal(onB.json.metadata.resourceVersion, created.json.metadata.resourceVersion);
    const upd = await api(b, 'PUT', '/api/v1/namespaces/default/configmaps/shared', { ...onB.json, data: { a: '2' } });
    assert.equal(upd.status, 200);
    const stale = await api(a, 'PUT', '/api/v1/namespaces/default/configmaps/shared', { ...created.json, data: { a: '3' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.json.reason, 'Conflict');
    await eventually(() => w.events.some((e) => e.type === 'MODIFIED' && e.object.data.a === '2'), 'b sees its own update');
    assert.equal((await api(a, 'GET', '/api/v1/namespaces/default/configmaps/shared')).json.data.a, '2');

    // Both servers run a scheduler and controllers; one Lease each decides which copy acts, and
    // both servers see the same holder.
    for (const lease of ['kube-scheduler', 'kube-controller-manager']) {
      const path = `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${lease}`;
      await eventually(async () => (await api(a, 'GET', path)).json?.spec?.holderIdentity !== undefined, `${lease} lease held`, 20_000);
      const [la, lb] = [await api(a, 'GET', path), await api(b, 'GET', path)];
      assert.ok(la.json.spec.holderIdentity, `${lease}: a holder`);
      assert.equal(la.json.spec.holderIdentity, lb.json.spec.holderIdentity);
    }
    const held = [a, b].map((srv) => srv.output()).join('\n');
    // Each copy either acquired the lease or reports the other as leader.
    assert.match(held, /leader is \S+|acquired lease kube-system\/kube-scheduler/);
  } finally {
    w.close();
  }
});

test('a 3-member etcd losing one member keeps serving reads and writes', { skip: !hasEtcd }, async () => {
  const etcd = await etcdCluster(3);
  const s = await serverOn(etcd);
  assert.equal((await api(s, 'POST', '/api/v1/namespaces/default/configmaps', cm('before'))).status, 201);
  await etcd.kill(0);
  // A new name per attempt: a create that timed out during the election may still have been
  // committed, and retrying the same name would then get 409 AlreadyExists forever.
  let attempt = 0;
  let last = '';
  const written = await eventually(
    async () => {
      const name = `after-${attempt++}`;
      const r = await api(s, 'POST', '/api/v1/namespaces/default/configmaps', cm(name));
      last = `${r.status} ${r.json?.message ?? ''}`;
      return r.status === 201 ? name : undefined;
    },
    'a write with one member down',
    30_000,
  ).catch((e: Error) => assert.fail(`${e.message}; the last attempt got ${last}`));
  const names = (await api(s, 'GET', '/api/v1/namespaces/default/configmaps')).json.items.map((i: any) => i.metadata.name);
  assert.ok(names.includes('before') && names.includes(written), `both objects listed: ${names}`);
  // The watch streams to the lost member move to another one and catch up: ready again soon.
  await eventually(async () => (await api(s, 'GET', '/readyz')).status === 200, 'ready with one member down', 10_000);
});

test('etcd lost while serving: 503 Status and unready, then recovery with watches resumed', { skip: !hasEtcd }, async () => {
  const etcd = await etcdCluster();
  const s = await serverOn(etcd);
  const list = await api(s, 'GET', '/api/v1/namespaces/default/configmaps');
  const w = watchEvents(s, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`);
  try {
    await etcd.kill(0);
    const r = await api(s, 'GET', '/api/v1/namespaces/default/configmaps/none');
    assert.ok(r.status === 503 || r.status === 504, `503/504 while etcd is down, got ${r.status} ${r.text}`);
    assert.equal(r.json.kind, 'Status');
    const write = await api(s, 'POST', '/api/v1/namespaces/default/configmaps', cm('lost'));
    assert.ok(write.status === 503 || write.status === 504, `a write answers 503/504, got ${write.status} ${write.text}`);
    assert.equal((await api(s, 'GET', '/readyz')).status, 503);
    assert.equal(s.proc.exitCode, null, 'the server is still running');

    await etcd.restart(0);
    await eventually(async () => (await api(s, 'GET', '/readyz')).status === 200, 'ready again', 30_000);
    await eventually(async () => (await api(s, 'POST', '/api/v1/namespaces/default/configmaps', cm('back'))).status === 201, 'writes work again', 30_000);
    // The watch opened before the outage either resumes and sees the write, or ends with 410 for
    // a re-list; it never silently misses it.
    await eventually(
      () => w.events.some((e) => (e.type === 'ADDED' && e.object.metadata.name === 'back') || (e.type === 'ERROR' && e.object.code === 410)),
      `the old watch sees the new object or is told to re-list: ${JSON.stringify(w.events)}`,
      30_000,
    );
  } finally {
    w.close();
  }
});

test('etcd unreachable at start: one clear line naming the endpoint, non-zero exit', { skip: !hasEtcd }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-noetcd-'));
  try {
    const r = spawnSync(process.execPath, [BERTH, 'server', '--data-dir', dir, '--listen', '127.0.0.1:0', '--no-agent', '--datastore', 'etcd://127.0.0.1:9'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^berth: error: cannot reach etcd at 127\.0\.0\.1:9/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('datastore migrate: SQLite to etcd and back, objects and uids intact', { skip: !hasEtcd }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-migrate-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startServer({ dataDir: join(dir, 'one') });
  const uids: Record<string, string> = {};
  for (let i = 0; i < 20; i++) {
    const r = await api(first, 'POST', '/api/v1/namespaces/default/configmaps', cm(`m${i}`, { i: String(i) }));
    uids[`m${i}`] = r.json.metadata.uid;
  }
  assert.equal(await first.stop(), 0);

  const etcd = await etcdCluster();
  const migrate = (from: string, to: string) =>
    spawnSync(process.execPath, [BERTH, 'datastore', 'migrate', '--from', from, '--to', to], { encoding: 'utf8', timeout: 120_000 });
  const toEtcd = migrate(`sqlite:${join(dir, 'one', 'state.db')}`, `etcd://${etcd.endpoints[0]}`);
  assert.equal(toEtcd.status, 0, toEtcd.stderr);
  assert.match(toEtcd.stdout, /migrated \d+ objects/);

  const onEtcd = await startServer({ dataDir: join(dir, 'one'), args: ['--datastore', `etcd://${etcd.endpoints[0]}`] });
  const check = async (s: RunningServer) => {
    const items = (await api(s, 'GET', '/api/v1/namespaces/default/configmaps')).json.items.filter((c: any) => c.metadata.name.startsWith('m'));
    assert.equal(items.length, 20);
    for (const c of items) assert.equal(c.metadata.uid, uids[c.metadata.name], `uid of ${c.metadata.name}`);
    // Relative order of resourceVersions is preserved.
    const byName = (n: string) => Number(items.find((c: any) => c.metadata.name === n).metadata.resourceVersion);
    assert.ok(byName('m0') < byName('m19'));
    assert.equal((await api(s, 'GET', '/api/v1/namespaces/kube-system')).status, 200);
  };
  await check(onEtcd);
  assert.equal((await api(onEtcd, 'POST', '/api/v1/namespaces/default/configmaps', cm('m-on-etcd'))).status, 201);
  uids['m-on-etcd'] = (await api(onEtcd, 'GET', '/api/v1/namespaces/default/configmaps/m-on-etcd')).json.metadata.uid;
  assert.equal(await onEtcd.stop(), 0);

  const back = migrate(`etcd://${etcd.endpoints[0]}`, `sqlite:${join(dir, 'two.db')}`);
  assert.equal(back.status, 0, back.stderr);
  const again = await startServer({ dataDir: join(dir, 'one'), args: ['--datastore', `sqlite:${join(dir, 'two.db')}`] });
  try {
    const items = (await api(again, 'GET', '/api/v1/namespaces/default/configmaps')).json.items.filter((c: any) => c.metadata.name.startsWith('m'));
    assert.equal(items.length, 21);
    for (const c of items) assert.equal(c.metadata.uid, uids[c.metadata.name], `uid of ${c.metadata.name}`);
  } finally {
    await again.stop();
  }
  const refused = migrate(`sqlite:${join(dir, 'one', 'state.db')}`, `sqlite:${join(dir, 'two.db')}`);
  assert.notEqual(refused.status, 0, 'migrating into a non-empty datastore is refused');
  assert.match(refused.stderr, /not empty/);
});

test('etcd with TLS and client certificates: --etcd-cafile/--etcd-certfile/--etcd-keyfile', { skip: !hasEtcd || !requireCommand('openssl') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-etcd-tls-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sh = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  };
  // A CA, a serving certificate for 127.0.0.1 and a client certificate, all from that CA.
  sh([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=test-etcd-ca',
  ]);
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(join(dir, `${name}.ext`), ext + '\n');
    sh(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    sh([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]);
  }
  const port = await freePort();
  const peer = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const etcd = spawn(
    'etcd',
    [
      '--name',
      'tls',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${peer}`,
      '--initial-cluster',
      `tls=http://127.0.0.1:${peer}`,
      '--cert-file',
      join(dir, 'server.crt'),
      '--key-file',
      join(dir, 'server.key'),
      '--trusted-ca-file',
      join(dir, 'ca.crt'),
      '--client-cert-auth',
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  cleanups.push(async () => {
    if (etcd.exitCode === null && etcd.signalCode === null) {
      etcd.kill('SIGTERM');
      await new Promise((r) => etcd.once('exit', r));
    }
  });
  const tls = ['--etcd-cafile', join(dir, 'ca.crt'), '--etcd-certfile', join(dir, 'client.crt'), '--etcd-keyfile', join(dir, 'client.key')];
  const s = await startServer({ args: ['--datastore', `etcd://127.0.0.1:${port}`, ...tls], timeoutMs: 30_000 });
  cleanups.push(async () => {
    await s.stop();
    s.cleanup();
  });
  const created = await api(s, 'POST', '/api/v1/namespaces/default/configmaps', cm('over-tls'));
  assert.equal(created.status, 201, created.text);
  assert.equal((await api(s, 'GET', '/api/v1/namespaces/default/configmaps/over-tls')).json.metadata.uid, created.json.metadata.uid);
  // Without the client certificate etcd refuses the connection: a clear error, non-zero exit.
  const noCert = mkdtempSync(join(tmpdir(), 'berth-notls-'));
  cleanups.push(() => rmSync(noCert, { recursive: true, force: true }));
  const r = spawnSync(
    process.execPath,
    [
      BERTH,
      'server',
      '--data-dir',
      noCert,
      '--listen',
      '127.0.0.1:0',
      '--no-agent',
      '--datastore',
      `etcd://127.0.0.1:${port}`,
      '--etcd-cafile',
      join(dir, 'ca.crt'),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`^berth: error: cannot reach etcd at 127\\.0\\.0\\.1:${port}`, 'm'));
});
