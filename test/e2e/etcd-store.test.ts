// The Store suite against a real etcd (Debian's etcd-server) started on loopback in a temp dir.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdStore } from '../../src/storage/etcd.js';
import { storeSuite } from '../../src/storage/store-suite.js';
import { startEtcd, type RunningEtcd } from './etcd-harness.js';
import { requireCommand } from './harness.js';

let etcd: RunningEtcd | undefined;
const available = requireCommand('etcd');
before(async () => {
  if (available) etcd = await startEtcd();
});
after(async () => etcd?.stop());

let n = 0;
const open = async () => EtcdStore.open({ endpoints: etcd!.endpoints, prefix: `/t${process.pid}-${n++}` });

if (available) {
  storeSuite('etcd', open);

  test('etcd: two clients over one etcd see each other, and agree on compaction', async () => {
    const a = await EtcdStore.open({ endpoints: etcd!.endpoints, prefix: '/shared' });
    const b = await EtcdStore.open({ endpoints: etcd!.endpoints, prefix: '/shared' });
    try {
      const seen: string[] = [];
      const rev = await b.currentRevision();
      const h = b.watch(
        '/x/',
        rev,
        (evs) => seen.push(...evs.map((e) => `${e.type} ${e.kv.key}`)),
        (e) => seen.push(`error ${e.message}`),
      );
      const kv = await a.create('/x/1', 'v');
      await assert.rejects(b.update('/x/1', 'w', kv.modRevision - 1));
      await b.update('/x/1', 'w', kv.modRevision);
      for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      h.cancel();
      assert.deepEqual(seen, ['create /x/1', 'update /x/1']);
      const now = await a.currentRevision();
      await a.compact(now);
      assert.equal(await b.compactedRevision(), now);
    } finally {
      await a.close();
      await b.close();
    }
  });
} else {
  test('etcd store (skipped: etcd is not installed)', (t) => {
    t.skip('etcd is not installed');
  });
}
