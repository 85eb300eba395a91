// Several API servers over one etcd keep themselves in default/kubernetes (upstream's lease
// endpoint reconciler): each is listed at its --advertise-address and port; one shutting down
// leaves at once; one killed leaves once its lease expires, and its lease is deleted. The
// advertised addresses are documentation addresses nothing connects to: the reconciler only
// writes them down.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, BERTH, eventually, requireCommand, startServer, type RunningServer } from './harness.js';
import { startEtcd } from './etcd-harness.js';

const hasEtcd = requireCommand('etcd');
const cleanups: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function serverOn(endpoints: string[], address: string): Promise<RunningServer> {
  const s = await startServer({ args: ['--datastore', `etcd://${endpoints.join(',')}`, '--advertise-address', address] });
  cleanups.push(async () => {
    await s.stop();
    s.cleanup();
  });
  return s;
}

const port = (s: RunningServer) => Number(new URL(s.url).port);

/** default/kubernetes's Endpoints as "ip:port" strings, sorted. */
async function listed(s: RunningServer): Promise<string[]> {
  const r = await api(s, 'GET', '/api/v1/namespaces/default/endpoints/kubernetes');
  if (r.status !== 200) return [];
  return (r.json.subsets ?? []).flatMap((x: any) => x.addresses.map((a: any) => `${a.ip}:${x.ports[0].port}`)).sort();
}

async function apiserverLeases(s: RunningServer): Promise<string[]> {
  const r = await api(s, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases?labelSelector=apiserver.kubernetes.io%2Fidentity%3Dkube-apiserver');
  return r.json.items.map((l: any) => `${l.metadata.annotations['endpoints.berth.dev/address']}:${l.metadata.annotations['endpoints.berth.dev/port']}`).sort();
}

test(
  'API servers over one etcd: all listed; a stopped one leaves at once, a killed one when its lease expires',
  { skip: !hasEtcd, timeout: 120_000 },
  async () => {
    const etcd = await startEtcd();
    cleanups.push(() => etcd.stop());
    const a = await serverOn(etcd.endpoints, '198.51.100.1');
    const b = await serverOn(etcd.endpoints, '198.51.100.2');
    const both = [`198.51.100.1:${port(a)}`, `198.51.100.2:${port(b)}`].sort();
    await eventually(async () => JSON.stringify(await listed(a)) === JSON.stringify(both), `both servers listed (${both})`, 30_000);
    assert.deepEqual(await apiserverLeases(b), both);

    // A clean shutdown takes b out at once (well within a lease duration).
    assert.equal(await b.stop(), 0);
    assert.deepEqual(await listed(a), [`198.51.100.1:${port(a)}`]);
    assert.deepEqual(await apiserverLeases(a), [`198.51.100.1:${port(a)}`]);

    // A killed server cannot say goodbye: it is dropped when its 15 s lease has expired (and the
    // next 10 s reconcile of a live server notices), its lease deleted.
    const c = await serverOn(etcd.endpoints, '198.51.100.3');
    await eventually(async () => (await listed(a)).includes(`198.51.100.3:${port(c)}`), 'c listed', 30_000);
    const killedAt = Date.now();
    await c.kill9();
    await eventually(async () => !(await listed(a)).includes(`198.51.100.3:${port(c)}`), 'c dropped', 40_000);
    const took = Date.now() - killedAt;
    assert.ok(took >= 5_000, `dropped after ${took} ms: not before its lease could have expired`);
    assert.deepEqual(await listed(a), [`198.51.100.1:${port(a)}`]);
    assert.deepEqual(await apiserverLeases(a), [`198.51.100.1:${port(a)}`]);
    const slice = await api(a, 'GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    assert.deepEqual(
      slice.json.endpoints.map((e: any) => e.addresses[0]),
      ['198.51.100.1'],
    );
    assert.deepEqual(slice.json.ports, [{ name: 'https', port: port(a), protocol: 'TCP' }]);
  },
);

test('bad --advertise-address and --max-endpoints-per-slice: one clear line, exit 1, before anything starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-badflags-'));
  try {
    const cases: Array<[string[], RegExp]> = [
      [
        ['--advertise-address', '127.0.0.1'],
        /^berth: error: --advertise-address 127\.0\.0\.1 cannot be reached from pods; give an address of this machine they can reach$/,
      ],
      [['--advertise-address', 'somewhere'], /^berth: error: --advertise-address must be an IPv4 address, got "somewhere"$/],
      [['--max-endpoints-per-slice', '1001'], /^berth: error: --max-endpoints-per-slice must be an integer from 1 to 1000, got "1001"$/],
    ];
    for (const [flags, message] of cases) {
      const r = spawnSync(process.execPath, [BERTH, 'server', '--no-supervisor', '--no-agent', '--data-dir', dir, '--listen', '127.0.0.1:0', ...flags], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 1, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.trim(), message);
      assert.equal(r.stdout, '', 'nothing started');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
