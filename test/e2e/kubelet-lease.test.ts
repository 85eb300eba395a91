// The kubelet core's Lease writer (shared by the agent and the simulator) against a real API
// server: create, compare-and-swap renewals, a conflict with another writer, the Lease deleted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { RestClient, resources } from '../../src/client/index.js';
import { NODE_LEASE_NAMESPACE, ensureNodeLeaseNamespace, writeNodeLease } from '../../src/kubelet/index.js';
import { startServer, type RunningServer } from './harness.js';

let s: RunningServer;
let client: RestClient;
const ref = (name: string) => ({ ...resources.leases, namespace: NODE_LEASE_NAMESPACE, name });

before(async () => {
  s = await startServer();
  client = RestClient.fromKubeconfig(s.kubeconfig);
  await ensureNodeLeaseNamespace(client);
  await ensureNodeLeaseNamespace(client); // a second time: already there is fine
});

after(async () => {
  client?.close();
  await s?.stop();
  s?.cleanup();
});

test('writeNodeLease creates the Lease, renews it on the copy last written, and recovers from a conflict and a deletion', async () => {
  const first = await writeNodeLease(client, { nodeName: 'lease-n1', durationSeconds: 40 });
  assert.ok(first.metadata?.resourceVersion, 'created');
  assert.equal(first.spec?.holderIdentity, 'lease-n1');

  const second = await writeNodeLease(client, { nodeName: 'lease-n1', durationSeconds: 40, last: first });
  assert.notEqual(second.metadata?.resourceVersion, first.metadata?.resourceVersion, 'renewed with an update');

  // Another writer takes the Lease: our copy is stale, the update conflicts, the writer reads the
  // server's copy and renews it (keeping what the other wrote that is not ours to set).
  const theirs = await client.update<Lease>(resources.leases, {
    ...second,
    metadata: { ...second.metadata, namespace: NODE_LEASE_NAMESPACE, labels: { other: 'writer' } },
    spec: { ...second.spec, holderIdentity: 'intruder' },
  });
  const third = await writeNodeLease(client, { nodeName: 'lease-n1', durationSeconds: 40, last: second });
  assert.equal(third.spec?.holderIdentity, 'lease-n1');
  assert.deepEqual(third.metadata?.labels, { other: 'writer' });
  assert.ok(Number(third.metadata?.resourceVersion) > Number(theirs.metadata?.resourceVersion));

  // Deleted: the update finds nothing, the writer creates it again.
  await client.delete(ref('lease-n1'));
  const fourth = await writeNodeLease(client, { nodeName: 'lease-n1', durationSeconds: 15, last: third });
  const onServer = await client.get<Lease>(ref('lease-n1'));
  assert.equal(onServer.metadata?.uid, fourth.metadata?.uid);
  assert.notEqual(onServer.metadata?.uid, third.metadata?.uid, 'a new object');
  assert.equal(onServer.spec?.leaseDurationSeconds, 15);
});
