import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { Proxier, type SyncResult } from './proxier.js';
import type { NftRunner } from './nft.js';
import { NftError } from './nft.js';

/** Records what would reach nft; fails the next apply when told to. */
function recorder() {
  const applied: Array<{ at: number; text: string }> = [];
  let failNext = false;
  const runner: NftRunner = {
    apply: async (text) => {
      if (failNext) {
        failNext = false;
        throw new NftError('nft -f - exited 1: simulated');
      }
      applied.push({ at: Date.now(), text });
    },
    run: async () => '',
  };
  return { runner, applied, failNext: () => (failNext = true) };
}

const svc = (name: string, ip: string): Service => ({ metadata: { namespace: 'ns', name }, spec: { clusterIP: ip, ports: [{ port: 80, protocol: 'TCP' }] } });
const slice = (svcName: string, ips: string[], name = `${svcName}-x`): EndpointSlice => ({
  metadata: { namespace: 'ns', name, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  ports: [{ port: 8080, protocol: 'TCP' }],
  endpoints: ips.map((ip) => ({ addresses: [ip] })),
});
const ctx = { nodeName: 'n1', nodeIPs: ['192.168.5.1'], clusterCIDR: '10.42.0.0/16' };

test('proxier: nothing before start; the first sync is full, later changes are partial and name only what changed', async () => {
  const r = recorder();
  const syncs: SyncResult[] = [];
  const p = new Proxier({ nft: r.runner, context: ctx, table: 'bt', minSyncPeriodMs: 50, onSynced: (s) => syncs.push(s) });
  p.upsertService(svc('a', '10.43.0.5'));
  p.upsertSlice(slice('a', ['10.42.0.6']));
  p.upsertService(svc('b', '10.43.0.6'));
  await new Promise((res) => setTimeout(res, 80));
  assert.equal(r.applied.length, 0, 'no sync before start (the informers have not synced)');
  p.start();
  await p.idle();
  assert.equal(r.applied.length, 1);
  assert.match(r.applied[0]!.text, /^add table ip bt\ndelete table ip bt\n/);
  assert.deepEqual(
    syncs.map((s) => [s.full, s.services]),
    [[true, 2]],
  );

  p.upsertSlice(slice('a', ['10.42.0.6', '10.42.0.7']));
  await p.idle();
  assert.equal(r.applied.length, 2);
  const partial = r.applied[1]!.text;
  assert.doesNotMatch(partial, /table/);
  assert.match(partial, /add element ip bt endpoint-dnat-tcp \{ 1 : 10\.42\.0\.7 \. 8080 \}/);
  assert.match(partial, /add element ip bt endpoint-hairpin \{ 10\.42\.0\.7 \. 10\.42\.0\.7 \}/);
  assert.doesNotMatch(partial, /ns\/b\//, 'the unchanged service is not touched');
  assert.deepEqual(syncs.at(-1)!.full, false);

  p.deleteSlice(slice('a', []));
  p.deleteService(svc('a', '10.43.0.5'));
  await p.idle();
  assert.match(r.applied.at(-1)!.text, /delete element ip bt service-ips \{ 10\.43\.0\.5 \. tcp \. 80 \}/);
  await p.stop();
});

test('proxier: changes within minSyncPeriod are batched into one sync, no sooner than the period', async () => {
  const r = recorder();
  const p = new Proxier({ nft: r.runner, context: ctx, table: 'bt', minSyncPeriodMs: 300 });
  p.start();
  await p.idle();
  const first = r.applied[0]!.at;
  for (let i = 0; i < 5; i++) p.upsertService(svc(`s${i}`, `10.43.1.${i}`));
  await p.idle();
  assert.equal(r.applied.length, 2, 'five changes, one sync');
  // Not at once (~0 ms without the limit): the period counts from the start of the first sync,
  // a little before its apply was recorded.
  assert.ok(r.applied[1]!.at - first >= 200, `second sync ${r.applied[1]!.at - first} ms after the first`);
  for (let i = 0; i < 5; i++) assert.match(r.applied[1]!.text, new RegExp(`10\\.43\\.1\\.${i} \\. tcp`));
  await p.stop();
});

test('proxier: a failed sync is retried as a full sync that still holds the change', async () => {
  const r = recorder();
  const logs: string[] = [];
  const p = new Proxier({ nft: r.runner, context: ctx, table: 'bt', minSyncPeriodMs: 20, log: (m) => logs.push(m) });
  p.start();
  await p.idle();
  r.failNext();
  p.upsertService(svc('a', '10.43.0.5'));
  await p.idle();
  assert.equal(r.applied.length, 2);
  assert.match(r.applied[1]!.text, /^add table ip bt\ndelete table ip bt\n/);
  assert.match(r.applied[1]!.text, /10\.43\.0\.5 \. tcp \. 80 : goto reject-chain/);
  assert.match(logs.join('\n'), /partial sync of table bt failed: .*simulated/);
  await p.stop();
});

test('proxier: a slice relabelled to another service moves its endpoints', async () => {
  const r = recorder();
  const p = new Proxier({ nft: r.runner, context: ctx, table: 'bt', minSyncPeriodMs: 10 });
  p.upsertService(svc('a', '10.43.0.5'));
  p.upsertService(svc('b', '10.43.0.6'));
  p.upsertSlice(slice('a', ['10.42.0.6'], 'shared'));
  p.start();
  await p.idle();
  p.upsertSlice(slice('b', ['10.42.0.6'], 'shared'));
  await p.idle();
  const text = r.applied.at(-1)!.text;
  assert.match(text, /add element ip bt no-endpoint-services \{ 10\.43\.0\.5 \. tcp \. 80 : goto reject-chain \}/);
  assert.match(text, /add element ip bt service-ips \{ 10\.43\.0\.6 \. tcp \. 80 : goto service-/);
  await p.stop();
});
