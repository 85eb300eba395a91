// StatefulSets end to end, with the real kubectl against a server and three simulated nodes:
// web-0, web-1, web-2 created in order (each only once the previous one is Ready) with their
// claims data-web-N, printed and described as upstream, `kubectl scale` removing the highest
// ordinal first and keeping its claim (Retain) or deleting it with the pod (whenScaled Delete),
// a rolling update from the highest ordinal down seen by `kubectl rollout status`, history and
// undo through ControllerRevisions, restart, and the update upstream refuses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { RestClient } from '../../src/client/index.js';
import { ClusterRecords } from '../../src/dns/index.js';
import { eventually, kubectl, kubectlAsync, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';
import { startSimProcess, type SimProcess } from './sim-process.js';
import { PodJournal, isReady } from './pod-journal.js';

let s: RunningServer;
let sim: SimProcess;
let client: RestClient;

const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });
const podsOf = () => (JSON.parse(ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
const podNames = () =>
  podsOf()
    .map((p) => p.metadata!.name!)
    .sort();
const claimsOf = () => JSON.parse(ok(['get', 'pvc', '-o', 'json'])).items as PersistentVolumeClaim[];
const claimNames = () =>
  claimsOf()
    .map((c) => c.metadata!.name!)
    .sort();
const rolloutStatus = async () => {
  const r = await kubectlAsync(s, ['rollout', 'status', 'sts/web', '--timeout=90s'], { timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return r.stdout;
};

const statefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3,
    serviceName: 'web',
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'c', image: 'registry.local/web:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      },
    },
    // No class: the claims bind only to the static volumes below (the simulated nodes mount nothing).
    volumeClaimTemplates: [
      { metadata: { name: 'data' }, spec: { storageClassName: '', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    ],
  },
};

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
  client = RestClient.fromKubeconfig(s.kubeconfig);
  sim = await startSimProcess({ kubeconfig: s.kubeconfig, nodes: '3', namePrefix: 'sts-', startDelay: '300', podCidr: '10.244.0.0/16' });
});

after(async () => {
  await sim?.stop();
  client?.close();
  await s?.stop();
  s?.cleanup();
});

test('a StatefulSet starts web-0, web-1, web-2 in order with their claims; scale down removes the highest ordinal first, keeping or deleting its claim', async () => {
  const volumes = [0, 1, 2, 3].map((i) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pv-${i}` },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: '', hostPath: { path: `/tmp/berth-e2e-sts-${i}` } },
  }));
  ok(['apply', '-f', '-'], volumes.map((v) => YAML.stringify(v)).join('---\n'));
  ok(['create', 'service', 'clusterip', 'web', '--clusterip=None', '--tcp=80:80']);
  const journal = new PodJournal(client, 'app=web');
  await journal.start();
  try {
    ok(['apply', '-f', '-'], YAML.stringify(statefulSet));
    // Partition 0 is defaulted, so kubectl reports a partitioned roll out, as against upstream.
    assert.match(await rolloutStatus(), /partitioned roll out complete: 3 new pods have been updated/);
    assert.deepEqual(journal.created, ['web-0', 'web-1', 'web-2']);
    assert.deepEqual(journal.readyBefore, { 'web-1': true, 'web-2': true }, 'each pod was created only once the previous one was Ready');
  } finally {
    journal.stop();
  }
  assert.deepEqual(claimNames(), ['data-web-0', 'data-web-1', 'data-web-2']);
  assert.match(ok(['get', 'pvc', '--no-headers']), /^data-web-0\s/m);
  const web1 = podsOf().find((p) => p.metadata!.name === 'web-1')!;
  assert.equal(web1.spec!.hostname, 'web-1');
  assert.equal(web1.spec!.subdomain, 'web');
  assert.equal(web1.metadata!.labels!['statefulset.kubernetes.io/pod-name'], 'web-1');
  assert.equal(web1.metadata!.labels!['apps.kubernetes.io/pod-index'], '1');
  assert.deepEqual(
    web1.spec!.volumes!.filter((v) => v.persistentVolumeClaim),
    [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }],
  );

  // The stable network identity: the headless Service's slice names each pod, so cluster DNS
  // (its record model, fed the server's objects as a node's DNS server is) answers web-N.web.
  const records = new ClusterRecords('cluster.local');
  records.setService(JSON.parse(ok(['get', 'svc', 'web', '-o', 'json'])) as Service);
  await eventually(
    () => {
      const slices = JSON.parse(ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])).items as EndpointSlice[];
      if (slices.flatMap((sl) => sl.endpoints ?? []).filter((e) => e.hostname?.startsWith('web-') && e.conditions?.ready).length !== 3) return false;
      for (const sl of slices) records.setSlice(sl);
      return true;
    },
    'the slice names web-0..2',
    30_000,
  );
  for (const pod of podsOf()) {
    const found = records.lookup(`${pod.metadata!.name}.web.default.svc.cluster.local`);
    assert.deepEqual(found, { kind: 'found', records: { a: [pod.status!.podIP] } }, pod.metadata!.name);
  }

  const table = ok(['get', 'sts']).split('\n');
  assert.match(table[0]!, /^NAME\s+READY\s+AGE$/);
  assert.match(table[1]!, /^web\s+3\/3\s+\S+$/);
  assert.match(ok(['get', 'sts', '-o', 'wide']), /^web\s+3\/3\s+\S+\s+c\s+registry\.local\/web:1$/m);
  const described = ok(['describe', 'sts', 'web']);
  assert.match(described, /Replicas:\s+3 desired \| 3 total/);
  assert.match(described, /Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed/);
  assert.match(described, /SuccessfulCreate\s+.*create Claim data-web-0 Pod web-0 in StatefulSet web success/);

  // Scale down (Retain): web-2 goes first, then web-1; their claims stay for a scale up to reuse.
  const uids = new Map(claimsOf().map((c) => [c.metadata!.name!, c.metadata!.uid!]));
  const down = new PodJournal(client, 'app=web');
  await down.start();
  try {
    assert.match(ok(['scale', 'sts', 'web', '--replicas=1']), /statefulset.apps\/web scaled/);
    await eventually(() => podNames().join() === 'web-0' && down.deleting.length === 2, 'scaled to web-0', 30_000);
    assert.deepEqual(down.deleting, ['web-2', 'web-1']);
  } finally {
    down.stop();
  }
  assert.deepEqual(claimNames(), ['data-web-0', 'data-web-1', 'data-web-2']);
  ok(['scale', 'sts', 'web', '--replicas=3']);
  await eventually(() => podsOf().filter(isReady).length === 3, '3 ready again', 30_000);
  assert.ok(
    claimsOf().every((c) => uids.get(c.metadata!.name!) === c.metadata!.uid),
    'the same claims are used again',
  );

  // whenScaled Delete: the scaled-down pod's claim is deleted with it (by the garbage collector).
  ok(['patch', 'sts', 'web', '--type=merge', '-p', '{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenScaled":"Delete"}}}']);
  ok(['scale', 'sts', 'web', '--replicas=2']);
  await eventually(() => podNames().join() === 'web-0,web-1' && claimNames().join() === 'data-web-0,data-web-1', 'web-2 and data-web-2 gone', 30_000);
  ok(['scale', 'sts', 'web', '--replicas=3']);
  await eventually(() => podsOf().filter(isReady).length === 3 && claimNames().length === 3, '3 ready with a new data-web-2', 30_000);
  assert.notEqual(claimsOf().find((c) => c.metadata!.name === 'data-web-2')!.metadata!.uid, uids.get('data-web-2'));
});

test('a rolling update replaces web-2, web-1, web-0 in that order; history, undo and restart work through kubectl', async () => {
  const journal = new PodJournal(client, 'app=web');
  await journal.start();
  try {
    ok(['set', 'image', 'sts/web', 'c=registry.local/web:2']);
    assert.match(await rolloutStatus(), /^Waiting for [^]*partitioned roll out complete: 3 new pods have been updated/);
    assert.deepEqual(journal.deleting, ['web-2', 'web-1', 'web-0']);
  } finally {
    journal.stop();
  }
  await eventually(() => podsOf().length === 3 && podsOf().every((p) => p.spec!.containers[0]!.image === 'registry.local/web:2'), 'all on image 2');

  assert.match(ok(['rollout', 'history', 'sts/web']), /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  assert.match(ok(['rollout', 'history', 'sts/web', '--revision=1']), /registry\.local\/web:1/);
  assert.match(ok(['get', 'controllerrevisions', '--no-headers']), /web-\w+\s+statefulset\.apps\/web\s+2\s+/);

  assert.match(ok(['rollout', 'undo', 'sts/web']), /statefulset.apps\/web rolled back/);
  await rolloutStatus();
  await eventually(
    () => podsOf().length === 3 && podsOf().every((p) => p.spec!.containers[0]!.image === 'registry.local/web:1'),
    'all back on image 1',
    30_000,
  );
  assert.match(ok(['rollout', 'history', 'sts/web']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);

  const before = new Map(podsOf().map((p) => [p.metadata!.name!, p.metadata!.uid!]));
  assert.match(ok(['rollout', 'restart', 'sts/web']), /statefulset.apps\/web restarted/);
  await rolloutStatus();
  await eventually(
    () =>
      podsOf().length === 3 &&
      podsOf().every((p) => before.get(p.metadata!.name!) !== p.metadata!.uid && p.metadata!.annotations?.['kubectl.kubernetes.io/restartedAt']),
    'every pod restarted',
    30_000,
  );

  // What upstream refuses: a changed claim template, a bad pod management policy.
  const changed = structuredClone(statefulSet);
  changed.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage = '2Gi';
  const refused = kubectl(s, ['apply', '-f', '-'], { input: YAML.stringify(changed) });
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden/,
  );
  const bad = kubectl(s, ['apply', '-f', '-'], {
    input: YAML.stringify({ ...statefulSet, metadata: { name: 'bad', namespace: 'default' }, spec: { ...statefulSet.spec, podManagementPolicy: 'Random' } }),
  });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'/);
});

test('whenDeleted Delete: deleting the StatefulSet deletes its pods and, through the garbage collector, their claims', async () => {
  ok(['patch', 'sts', 'web', '--type=merge', '-p', '{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Delete","whenScaled":"Retain"}}}']);
  const uid = JSON.parse(ok(['get', 'sts', 'web', '-o', 'json'])).metadata.uid;
  await eventually(
    () => claimsOf().length === 3 && claimsOf().every((c) => c.metadata!.ownerReferences?.some((r) => r.kind === 'StatefulSet' && r.uid === uid)),
    'the set owns every claim',
    30_000,
  );
  ok(['delete', 'sts', 'web', '--wait=false']);
  await eventually(() => podsOf().length === 0 && claimsOf().length === 0, 'pods and claims gone', 60_000);
});
