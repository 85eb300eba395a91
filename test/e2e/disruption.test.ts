// PodDisruptionBudgets end to end, with the real kubectl against a server and two simulated
// nodes: the disruption controller's status as `kubectl get pdb` prints it, evictions refused
// with upstream's 429 when a budget would break (also when two race for the last disruption),
// and `kubectl drain` evicting a Deployment's pods one at a time while never leaving fewer than
// minAvailable ready.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import type { Pod } from 'kubernetes-types/core/v1';
import { RestClient, resources, type WatchHandle } from '../../src/client/index.js';
import { api, eventually, kubectl, kubectlAsync, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';
import { startSimProcess, type SimProcess } from './sim-process.js';

let s: RunningServer;
let sim: SimProcess;
let client: RestClient;
const A = 'pdb-0';
const B = 'pdb-1';

const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });
const apply = (...objs: unknown[]) => ok(['apply', '-f', '-'], objs.map((o) => YAML.stringify(o)).join('---\n'));
const isReady = (p: Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const podsOf = (app: string) =>
  (JSON.parse(ok(['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);

function deployment(name: string, replicas: number, nodeSelector?: Record<string, string>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, ...(nodeSelector ? { nodeSelector } : {}), containers: [{ name: 'c', image: 'registry.local/web:1' }] },
      },
    },
  };
}

function budget(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: name } }, ...spec },
  };
}

const evict = (pod: string) =>
  api(s, 'POST', `/api/v1/namespaces/default/pods/${pod}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod } });

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
  client = RestClient.fromKubeconfig(s.kubeconfig);
  sim = await startSimProcess({ kubeconfig: s.kubeconfig, nodes: '2', namePrefix: 'pdb-', startDelay: '300', podCidr: '10.244.0.0/16' });
});

after(async () => {
  await sim?.stop();
  client?.close();
  await s?.stop();
  s?.cleanup();
});

test('kubectl get pdb shows the controller status; an eviction that would break the budget gets upstream 429; racing evictions spend one disruption once', async () => {
  apply(deployment('solo', 1, { 'kubernetes.io/hostname': B }), budget('solo', { minAvailable: 1 }));
  apply(deployment('pair', 3, { 'kubernetes.io/hostname': B }), budget('pair', { maxUnavailable: '33%' }));
  await eventually(() => podsOf('solo').filter(isReady).length === 1 && podsOf('pair').filter(isReady).length === 3, 'pods ready', 30_000);
  await eventually(() => /^pair\s+N\/A\s+33%\s+1\s+\S+$/m.test(ok(['get', 'pdb', '--no-headers'])), 'pair allows 1 disruption');
  assert.match(ok(['get', 'pdb', 'solo']), /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\nsolo\s+1\s+N\/A\s+0\s+/);
  const pdb = JSON.parse(ok(['get', 'pdb', 'pair', '-o', 'json']));
  assert.deepEqual([pdb.status.expectedPods, pdb.status.desiredHealthy, pdb.status.currentHealthy], [3, 2, 3]);
  assert.equal(pdb.status.conditions.find((c: { type: string }) => c.type === 'DisruptionAllowed').reason, 'SufficientPods');

  const solo = podsOf('solo')[0]!.metadata!.name!;
  const refused = await evict(solo);
  assert.equal(refused.status, 429);
  assert.equal(refused.json.reason, 'TooManyRequests');
  assert.equal(refused.json.message, "Cannot evict pod as it would violate the pod's disruption budget.");
  assert.deepEqual(refused.json.details.causes, [
    { reason: 'DisruptionBudget', message: 'The disruption budget solo needs 1 healthy pods and has 1 currently' },
  ]);
  assert.equal(podsOf('solo')[0]!.metadata!.name, solo, 'the pod is still there');

  const [p1, p2] = podsOf('pair').map((p) => p.metadata!.name!);
  const results = await Promise.all([evict(p1!), evict(p2!)]);
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 429], results.map((r) => r.text).join('\n'));
  const [evicted, kept] = results[0]!.status === 201 ? [p1!, p2!] : [p2!, p1!];
  const names = podsOf('pair').map((p) => p.metadata!.name);
  assert.ok(!names.includes(evicted), `${evicted} was evicted`);
  assert.ok(names.includes(kept), `${kept} was kept`);
  ok(['delete', 'deployment', 'solo', 'pair']);
  ok(['delete', 'pdb', 'solo', 'pair']);
});

test('kubectl drain evicts a Deployment guarded by minAvailable 1 one pod at a time, and refuses unmanaged pods without --force', async () => {
  ok(['cordon', B]);
  apply(deployment('web', 2), budget('web', { minAvailable: 1 }));
  await eventually(() => podsOf('web').filter((p) => isReady(p) && p.spec?.nodeName === A).length === 2, 'both replicas ready on A', 30_000);
  await eventually(() => /^web\s+1\s+N\/A\s+1\s+/m.test(ok(['get', 'pdb', '--no-headers'])), 'web allows 1 disruption');
  ok(['uncordon', B]);

  // A pod no controller would bring back: drain refuses it without --force, as kubectl does.
  apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bare', namespace: 'default' },
    spec: { nodeName: A, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'i' }] },
  });
  const refused = kubectl(s, ['drain', A, '--ignore-daemonsets', '--timeout=20s']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /cannot delete Pods that declare no controller \(use --force to override\): default\/bare/);
  ok(['delete', 'pod', 'bare', '--wait=true']);

  // Watch the Deployment's pods for the whole drain: never fewer than 1 ready and not terminating.
  const live = new Map<string, Pod>();
  let minReady = Infinity;
  const list = await client.list<Pod>({ ...resources.pods, namespace: 'default' }, { labelSelector: 'app=web' });
  for (const p of list.items) live.set(p.metadata!.uid!, p);
  const handle: WatchHandle = client.watch<Pod>(
    { ...resources.pods, namespace: 'default' },
    { labelSelector: 'app=web', resourceVersion: list.metadata?.resourceVersion },
    (ev) => {
      if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
      if (ev.type === 'DELETED') live.delete(ev.object.metadata!.uid!);
      else live.set(ev.object.metadata!.uid!, ev.object);
      minReady = Math.min(minReady, [...live.values()].filter((p) => !p.metadata?.deletionTimestamp && isReady(p)).length);
    },
    () => {},
  );
  try {
    const drain = await kubectlAsync(s, ['drain', A, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=120s'], { timeoutMs: 150_000 });
    assert.equal(drain.code, 0, drain.stderr);
    assert.match(drain.stdout, new RegExp(`node/${A} drained`));
    const out = drain.stdout + drain.stderr;
    assert.equal((out.match(/pod\/web-\S+ evicted/g) ?? []).length, 2, out);
    // The second eviction had to wait for the first pod's replacement to be ready.
    assert.match(out, /Cannot evict pod as it would violate the pod's disruption budget\./);
  } finally {
    handle.stop();
  }
  assert.ok(minReady >= 1, `at some point only ${minReady} web pods were ready`);
  await eventually(() => podsOf('web').filter((p) => isReady(p) && p.spec?.nodeName === B).length === 2, 'both replicas ready on B', 30_000);
  assert.match(ok(['get', 'node', A, '--no-headers']), /SchedulingDisabled/);
});
