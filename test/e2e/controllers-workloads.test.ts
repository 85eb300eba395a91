// The ReplicaSet and Deployment controllers in-process against a real Berth server, driven and
// checked with the real kubectl: rollouts and `rollout status`, the surge/unavailability bounds
// at every step of a rolling update, undo and history, scale, pause/resume, restart, progress
// deadlines, a bare ReplicaSet healing and adopting, and the legacy ReplicationController. A fake node stands in for the kubelet:
// pods bound to it turn Running and Ready shortly after, and are removed when deleted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import YAML from 'yaml';
import { createInformer, isNotFound, RestClient, resources, rfc3339, type Informer, type WatchHandle } from '../../src/client/index.js';
import { newControllerContext, type ControllerContext } from '../../src/controllers/context.js';
import { newReplicaSetController, newReplicationControllerController } from '../../src/controllers/replicaset.js';
import { newDeploymentController } from '../../src/controllers/deployment/index.js';
import { eventually, kubectl, kubectlBackground, kubectlPath, requireFile, startServer, kubectlOk, type RunningServer } from './harness.js';

const NODE = 'wl-node';
/** Pods of images containing this never become ready (for progress deadlines). */
const NEVER_READY = 'never-ready';
const READY_AFTER_MS = 250;

let s: RunningServer;
let client: RestClient;
let ctx: ControllerContext;
let stopAll: () => Promise<void>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ok = (args: string[], input?: string, timeoutMs?: number) => kubectlOk(s, args, { input, timeoutMs });
const apply = (...objs: unknown[]) => ok(['apply', '-f', '-'], objs.map((o) => YAML.stringify(o)).join('---\n'));

/**
 * A node as far as workloads can tell: a Ready Node object with room, and a loop that runs the
 * pods bound to it (Running, Ready READY_AFTER_MS later) and removes the ones being deleted.
 */
async function startFakeNode(c: RestClient): Promise<() => Promise<void>> {
  const now = rfc3339();
  await c.create(resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE, 'kubernetes.io/os': 'linux' } },
    status: {
      capacity: { cpu: '64', memory: '256Gi', pods: '500' },
      allocatable: { cpu: '64', memory: '256Gi', pods: '500' },
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
    },
  });
  const started = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const inf: Informer<Pod> = createInformer<Pod>(c, resources.pods, { fieldSelector: `spec.nodeName=${NODE}`, log: () => {} });
  const handle = (pod: Pod) => {
    const m = pod.metadata!;
    if (m.deletionTimestamp) {
      void c.delete({ ...resources.pods, namespace: m.namespace, name: m.name! }, { gracePeriodSeconds: 0, preconditions: { uid: m.uid } }).catch(() => {});
      return;
    }
    if (started.has(m.uid!)) return;
    started.add(m.uid!);
    const ready = !pod.spec!.containers.some((x) => x.image?.includes(NEVER_READY));
    const t = setTimeout(() => {
      timers.delete(t);
      void runPod(c, pod, ready).catch(() => {});
    }, READY_AFTER_MS);
    timers.add(t);
  };
  inf.onAdd(handle).onUpdate((_o, cur) => handle(cur));
  inf.start();
  await inf.waitForSync(10_000);
  return async () => {
    for (const t of timers) clearTimeout(t);
    await inf.stop();
  };
}

async function runPod(c: RestClient, pod: Pod, ready: boolean): Promise<void> {
  const m = pod.metadata!;
  const ref = { ...resources.pods, namespace: m.namespace, name: m.name! };
  const cur = await c.get<Pod>(ref);
  if (cur.metadata?.uid !== m.uid || cur.metadata?.deletionTimestamp) return;
  const now = rfc3339();
  const r = ready ? 'True' : 'False';
  const conditions = [
    ...(cur.status?.conditions ?? []).filter((x) => !['Initialized', 'Ready', 'ContainersReady'].includes(x.type)),
    { type: 'Initialized', status: 'True', lastTransitionTime: now },
    { type: 'Ready', status: r, lastTransitionTime: now },
    { type: 'ContainersReady', status: r, lastTransitionTime: now },
  ];
  const containerStatuses = cur.spec!.containers.map((x) => ({
    name: x.name,
    image: x.image!,
    imageID: `sha256:${x.name}`,
    ready,
    restartCount: 0,
    started: true,
    state: { running: { startedAt: now } },
  }));
  await c.updateStatus(resources.pods, {
    ...cur,
    status: { ...cur.status, phase: 'Running', hostIP: '10.0.0.1', podIP: '10.244.0.2', startTime: now, conditions, containerStatuses },
  });
}

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer({ args: ['--disable-controller-manager'] });
  client = RestClient.fromKubeconfig(s.kubeconfig);
  // BERTH_TEST_LOG=1 shows what the controllers log (conflicts, retries) while the tests run.
  ctx = newControllerContext(client, (m) => process.env.BERTH_TEST_LOG && process.stderr.write(`controllers: ${m}\n`));
  const controllers = [newReplicaSetController(ctx), newReplicationControllerController(ctx), newDeploymentController(ctx)];
  const stopNode = await startFakeNode(client);
  await ctx.informers.start(10_000);
  const abort = new AbortController();
  const running = controllers.map((c) => c.run(abort.signal));
  stopAll = async () => {
    abort.abort();
    await Promise.all(running);
    await ctx.informers.stop();
    await stopNode();
  };
});

after(async () => {
  await stopAll?.();
  client?.close();
  await s?.stop();
  s?.cleanup();
});

function deploymentYaml(name: string, ns: string, replicas: number, image: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image }] } },
      ...spec,
    },
  };
}

const getJson = <T>(args: string[]): T => JSON.parse(ok([...args, '-o', 'json'])) as T;
const replicaSets = (ns: string, app: string) =>
  getJson<{ items: ReplicaSet[] }>(['get', 'rs', '-n', ns, '-l', `app=${app}`]).items.sort(
    (a, b) => Number(a.metadata!.annotations!['deployment.kubernetes.io/revision']) - Number(b.metadata!.annotations!['deployment.kubernetes.io/revision']),
  );
const podsOf = (ns: string, app: string) => getJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', `app=${app}`]).items;
const isReady = (p: Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * `kubectl rollout status`, run in the background: the controllers run in this process, so a
 * synchronous kubectl would stop them for as long as it waits.
 */
async function rolloutStatus(ns: string, name: string, timeout = '60s') {
  const k = kubectlBackground(s, ['rollout', 'status', `deployment/${name}`, '-n', ns, `--timeout=${timeout}`]);
  const code = await k.done;
  const stdout = k.stdout();
  return { code, stdout, stderr: k.stderr(), last: stdout.trim().split('\n').pop() ?? '' };
}

/** Watches a namespace's pods of an app, checking bounds on every event. */
function watchBounds(ns: string, app: string) {
  const pods = new Map<string, Pod>();
  // mixed: pods of two images existed at once (terminating ones included).
  const stats = { maxLive: 0, minReady: Infinity, events: 0, mixed: false };
  let handle: WatchHandle | undefined;
  const ready = client.list<Pod>({ ...resources.pods, namespace: ns }, { labelSelector: `app=${app}` }).then((list) => {
    for (const p of list.items) pods.set(p.metadata!.uid!, p);
    handle = client.watch<Pod>(
      { ...resources.pods, namespace: ns },
      { labelSelector: `app=${app}`, resourceVersion: list.metadata?.resourceVersion },
      (ev) => {
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
        if (ev.type === 'DELETED') pods.delete(ev.object.metadata!.uid!);
        else pods.set(ev.object.metadata!.uid!, ev.object);
        stats.events++;
        const live = [...pods.values()].filter((p) => !p.metadata?.deletionTimestamp);
        stats.maxLive = Math.max(stats.maxLive, live.length);
        stats.minReady = Math.min(stats.minReady, live.filter(isReady).length);
        if (new Set([...pods.values()].map((p) => p.spec!.containers[0]!.image)).size > 1) stats.mixed = true;
      },
      () => {},
    );
  });
  return { ready, stats, stop: () => handle?.stop() };
}

test('a 10-replica deployment rolls out; an image change respects maxSurge/maxUnavailable at every step', async () => {
  ok(['create', 'namespace', 'roll']);
  apply(deploymentYaml('web', 'roll', 10, 'registry.local/web:1'));
  const first = await rolloutStatus('roll', 'web');
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.last, 'deployment "web" successfully rolled out');
  const d = getJson<Deployment>(['get', 'deployment', 'web', '-n', 'roll']);
  assert.deepEqual(
    [d.status!.replicas, d.status!.updatedReplicas, d.status!.readyReplicas, d.status!.availableReplicas, d.status!.observedGeneration],
    [10, 10, 10, 10, d.metadata!.generation],
  );
  assert.equal(d.status!.conditions!.find((c) => c.type === 'Available')!.reason, 'MinimumReplicasAvailable');
  assert.equal(d.status!.conditions!.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetAvailable');
  const [rs1] = replicaSets('roll', 'web');
  assert.match(rs1!.metadata!.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs1!.metadata!.name, `web-${rs1!.metadata!.labels!['pod-template-hash']}`);
  assert.match(ok(['get', 'deployment', 'web', '-n', 'roll']), /web\s+10\/10\s+10\s+10\s+/);

  // 25% of 10: at most 13 pods, at least 8 ready, at every step.
  const watch = watchBounds('roll', 'web');
  await watch.ready;
  ok(['set', 'image', 'deployment/web', 'c=registry.local/web:2', '-n', 'roll']);
  const second = await rolloutStatus('roll', 'web');
  watch.stop();
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.last, 'deployment "web" successfully rolled out');
  assert.ok(watch.stats.events > 20, `saw the rollout (${watch.stats.events} events)`);
  assert.ok(watch.stats.maxLive <= 13, `never more than 13 pods (saw ${watch.stats.maxLive})`);
  assert.ok(watch.stats.maxLive > 10, `surged (saw ${watch.stats.maxLive})`);
  assert.ok(watch.stats.minReady >= 8, `never fewer than 8 ready (saw ${watch.stats.minReady})`);
  await eventually(
    () => podsOf('roll', 'web').length === 10 && podsOf('roll', 'web').every((p) => p.spec!.containers[0]!.image === 'registry.local/web:2'),
    'ten new pods',
  );
  const rss = replicaSets('roll', 'web');
  assert.deepEqual(
    rss.map((rs) => [rs.metadata!.annotations!['deployment.kubernetes.io/revision'], rs.spec!.replicas]),
    [
      ['1', 0],
      ['2', 10],
    ],
  );
  const events = ok(['get', 'events', '-n', 'roll', '--field-selector', 'involvedObject.kind=Deployment', '-o', 'json']);
  const msgs = (JSON.parse(events).items as Array<{ reason: string; message: string }>).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
  assert.ok(msgs.includes(`Scaled up replica set ${rss[1]!.metadata!.name} from 0 to 3`), msgs.join('\n'));
  assert.ok(msgs.includes(`Scaled down replica set ${rss[0]!.metadata!.name} from 10 to 8`), msgs.join('\n'));
});

test('rollout history lists revisions; undo returns to the old image on the old ReplicaSet', async () => {
  const history = ok(['rollout', 'history', 'deployment/web', '-n', 'roll']);
  assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  const rev1 = ok(['rollout', 'history', 'deployment/web', '-n', 'roll', '--revision=1']);
  assert.match(rev1, /Image:\s+registry\.local\/web:1/);
  const [oldRS] = replicaSets('roll', 'web');
  assert.match(ok(['rollout', 'undo', 'deployment/web', '-n', 'roll']), /deployment\.apps\/web rolled back/);
  const st = await rolloutStatus('roll', 'web');
  assert.equal(st.code, 0, st.stderr);
  assert.equal(st.last, 'deployment "web" successfully rolled out');
  await eventually(
    () => podsOf('roll', 'web').length === 10 && podsOf('roll', 'web').every((p) => p.spec!.containers[0]!.image === 'registry.local/web:1'),
    'old image back',
  );
  const rss = replicaSets('roll', 'web');
  assert.equal(rss.length, 2, 'no new ReplicaSet');
  assert.equal(rss[1]!.metadata!.uid, oldRS!.metadata!.uid, 'the old ReplicaSet is current again');
  assert.equal(rss[1]!.metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
  assert.equal(rss[1]!.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(rss[1]!.spec!.replicas, 10);
  assert.match(ok(['rollout', 'history', 'deployment/web', '-n', 'roll']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
  assert.equal(getJson<Deployment>(['get', 'deployment', 'web', '-n', 'roll']).metadata!.annotations!['deployment.kubernetes.io/revision'], '3');
});

test('kubectl scale up and down', async () => {
  ok(['scale', 'deployment/web', '-n', 'roll', '--replicas=15']);
  assert.equal((await rolloutStatus('roll', 'web')).code, 0);
  await eventually(() => podsOf('roll', 'web').filter(isReady).length === 15, '15 ready pods');
  ok(['scale', 'deployment/web', '-n', 'roll', '--replicas=4']);
  await eventually(() => podsOf('roll', 'web').length === 4, '4 pods', 20_000);
  const st = await rolloutStatus('roll', 'web');
  assert.equal(st.last, 'deployment "web" successfully rolled out');
  const cur = replicaSets('roll', 'web').find((rs) => rs.spec!.replicas! > 0)!;
  assert.equal(cur.spec!.replicas, 4);
  assert.equal(cur.metadata!.annotations!['deployment.kubernetes.io/desired-replicas'], '4');
  assert.equal(cur.metadata!.annotations!['deployment.kubernetes.io/max-replicas'], '5');
  assert.match(ok(['get', 'deployment', 'web', '-n', 'roll']), /web\s+4\/4\s+4\s+4\s+/);
});

test('pause holds a rollout (scaling still applies); resume lets it finish', async () => {
  assert.match(ok(['rollout', 'pause', 'deployment/web', '-n', 'roll']), /deployment\.apps\/web paused/);
  ok(['set', 'image', 'deployment/web', 'c=registry.local/web:3', '-n', 'roll']);
  ok(['scale', 'deployment/web', '-n', 'roll', '--replicas=6']);
  await eventually(() => podsOf('roll', 'web').filter(isReady).length === 6, '6 ready pods while paused', 20_000);
  const before = replicaSets('roll', 'web');
  assert.equal(before.length, 2, 'no new ReplicaSet while paused');
  assert.ok(podsOf('roll', 'web').every((p) => p.spec!.containers[0]!.image === 'registry.local/web:1'));
  const progressing = getJson<Deployment>(['get', 'deployment', 'web', '-n', 'roll']).status!.conditions!.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([progressing.status, progressing.reason, progressing.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  assert.match(ok(['rollout', 'resume', 'deployment/web', '-n', 'roll']), /deployment\.apps\/web resumed/);
  const st = await rolloutStatus('roll', 'web');
  assert.equal(st.code, 0, st.stderr);
  assert.equal(st.last, 'deployment "web" successfully rolled out');
  await eventually(
    () => podsOf('roll', 'web').length === 6 && podsOf('roll', 'web').every((p) => p.spec!.containers[0]!.image === 'registry.local/web:3'),
    'new image after resume',
  );
});

test('rollout restart makes a new ReplicaSet; revisionHistoryLimit cleans old ones up', async () => {
  ok(['patch', 'deployment/web', '-n', 'roll', '--type=merge', '-p', '{"spec":{"revisionHistoryLimit":1}}']);
  assert.match(ok(['rollout', 'restart', 'deployment/web', '-n', 'roll']), /deployment\.apps\/web restarted/);
  const st = await rolloutStatus('roll', 'web');
  assert.equal(st.code, 0, st.stderr);
  await eventually(() => replicaSets('roll', 'web').length === 2, 'history trimmed to one old ReplicaSet', 20_000);
  const rss = replicaSets('roll', 'web');
  assert.ok(rss[1]!.spec!.template!.metadata!.annotations!['kubectl.kubernetes.io/restartedAt']);
  await eventually(
    () => podsOf('roll', 'web').length === 6 && podsOf('roll', 'web').every((p) => !!p.metadata!.annotations?.['kubectl.kubernetes.io/restartedAt']),
    'restarted pods',
  );
});

test('a rollout that cannot progress fails rollout status with the progress deadline', async () => {
  ok(['create', 'namespace', 'stuck']);
  apply(deploymentYaml('hang', 'stuck', 2, `registry.local/${NEVER_READY}:1`, { progressDeadlineSeconds: 2 }));
  const st = await rolloutStatus('stuck', 'hang', '30s');
  assert.notEqual(st.code, 0);
  assert.match(st.stderr, /error: deployment "hang" exceeded its progress deadline/);
  const d = getJson<Deployment>(['get', 'deployment', 'hang', '-n', 'stuck']);
  const [rs] = replicaSets('stuck', 'hang');
  const cond = d.status!.conditions!.find((c) => c.type === 'Progressing')!;
  assert.deepEqual(
    [cond.status, cond.reason, cond.message],
    ['False', 'ProgressDeadlineExceeded', `ReplicaSet "${rs!.metadata!.name}" has timed out progressing.`],
  );
  assert.equal(d.status!.conditions!.find((c) => c.type === 'Available')!.reason, 'MinimumReplicasUnavailable');
});

test('Recreate: the old pods are all gone before any new one exists', async () => {
  ok(['create', 'namespace', 'recreate']);
  apply(deploymentYaml('rec', 'recreate', 3, 'registry.local/rec:1', { strategy: { type: 'Recreate' } }));
  assert.equal((await rolloutStatus('recreate', 'rec')).code, 0);
  const watch = watchBounds('recreate', 'rec');
  await watch.ready;
  ok(['set', 'image', 'deployment/rec', 'c=registry.local/rec:2', '-n', 'recreate']);
  const st = await rolloutStatus('recreate', 'rec');
  watch.stop();
  assert.equal(st.code, 0, st.stderr);
  assert.equal(watch.stats.mixed, false, 'old and new pods never together');
  assert.equal(watch.stats.minReady, 0, 'all old pods went down first');
  assert.ok(watch.stats.maxLive <= 3);
});

test('a ReplicaSet replaces a deleted pod and adopts a matching orphan', async () => {
  ok(['create', 'namespace', 'bare']);
  // An orphan that matches: adopted, so only two pods are created.
  apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'stray', namespace: 'bare', labels: { app: 'bare' } },
    spec: { containers: [{ name: 'c', image: 'registry.local/bare:1' }] },
  });
  apply({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'bare', namespace: 'bare' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'bare' } },
      template: { metadata: { labels: { app: 'bare' } }, spec: { containers: [{ name: 'c', image: 'registry.local/bare:1' }] } },
    },
  });
  await eventually(() => podsOf('bare', 'bare').filter(isReady).length === 3, '3 ready pods', 20_000);
  const rs = getJson<ReplicaSet>(['get', 'rs', 'bare', '-n', 'bare']);
  const pods = podsOf('bare', 'bare');
  assert.equal(pods.length, 3);
  for (const p of pods)
    assert.deepEqual(p.metadata!.ownerReferences, [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'bare', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
  assert.ok(
    pods.some((p) => p.metadata!.name === 'stray'),
    'the orphan was adopted',
  );
  await eventually(() => /bare\s+3\s+3\s+3\s+/.test(ok(['get', 'rs', 'bare', '-n', 'bare'])), 'kubectl get rs shows 3 3 3');

  const victim = pods.find((p) => p.metadata!.name !== 'stray')!.metadata!.name!;
  ok(['delete', 'pod', victim, '-n', 'bare', '--wait=false']);
  await eventually(
    () => {
      const now = podsOf('bare', 'bare');
      return now.length === 3 && !now.some((p) => p.metadata!.name === victim) && now.filter(isReady).length === 3;
    },
    'replacement pod',
    20_000,
  );
  const events = JSON.parse(ok(['get', 'events', '-n', 'bare', '--field-selector', 'involvedObject.name=bare', '-o', 'json'])).items as Array<{
    reason: string;
    message: string;
    source: { component: string };
  }>;
  const created = events.filter((e) => e.reason === 'SuccessfulCreate');
  assert.equal(created.length, 3, 'two pods at first, one replacement');
  assert.ok(created.every((e) => /^Created pod: bare-[a-z0-9]{5}$/.test(e.message) && e.source.component === 'replicaset-controller'));
  await eventually(
    () =>
      client.get({ ...resources.pods, namespace: 'bare', name: victim }).then(
        () => false,
        (e) => isNotFound(e),
      ),
    'victim gone',
  );
  // Scaled down: the orphan-turned-replica may go like any other; two remain.
  ok(['scale', 'rs/bare', '-n', 'bare', '--replicas=1']);
  await eventually(() => podsOf('bare', 'bare').length === 1, 'scaled to 1', 20_000);
  await sleep(300);
  assert.equal(podsOf('bare', 'bare').length, 1);
});

test('a ReplicationController (legacy core/v1): selector defaulted from the template, printed, scaled and described as upstream', async () => {
  ok(['create', 'namespace', 'legacy']);
  // No selector and no labels: both default to the template's labels.
  ok(
    ['create', '-f', '-'],
    YAML.stringify({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'legacy', namespace: 'legacy' },
      spec: { replicas: 3, template: { metadata: { labels: { app: 'legacy' } }, spec: { containers: [{ name: 'c', image: 'registry.local/legacy:1' }] } } },
    }),
  );
  const rc = getJson<{ metadata: { uid: string; labels: Record<string, string> }; spec: { selector: Record<string, string> } }>([
    'get',
    'rc',
    'legacy',
    '-n',
    'legacy',
  ]);
  assert.deepEqual(rc.spec.selector, { app: 'legacy' });
  assert.deepEqual(rc.metadata.labels, { app: 'legacy' });
  await eventually(() => podsOf('legacy', 'legacy').filter(isReady).length === 3, '3 ready pods', 20_000);
  for (const p of podsOf('legacy', 'legacy')) assert.equal(p.metadata!.ownerReferences?.[0]?.kind, 'ReplicationController');
  await eventually(() => /^legacy\s+3\s+3\s+3\s+\S+$/m.test(ok(['get', 'rc', '-n', 'legacy', '--no-headers'])), 'kubectl get rc shows 3 3 3');
  const header = ok(['get', 'replicationcontrollers', '-n', 'legacy', '-o', 'wide']).split('\n')[0]!;
  assert.match(header, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
  const scale = JSON.parse(ok(['get', '--raw', '/api/v1/namespaces/legacy/replicationcontrollers/legacy/scale']));
  assert.deepEqual([scale.kind, scale.spec.replicas, scale.status.selector], ['Scale', 3, 'app=legacy']);

  assert.match(ok(['scale', 'rc', 'legacy', '-n', 'legacy', '--replicas=1']), /replicationcontroller\/legacy scaled/);
  await eventually(() => podsOf('legacy', 'legacy').filter((p) => !p.metadata?.deletionTimestamp).length === 1, 'scaled down to 1', 20_000);
  await eventually(() => /Replicas:\s+1 current \/ 1 desired/.test(ok(['describe', 'rc', 'legacy', '-n', 'legacy'])), 'describe shows 1 current / 1 desired');
  const described = ok(['describe', 'rc', 'legacy', '-n', 'legacy']);
  assert.match(described, /Selector:\s+app=legacy/);
  assert.match(described, /Pods Status:\s+1 Running/);
  assert.match(described, /SuccessfulDelete/);

  // The selector must match the template: upstream's message, nothing stored.
  const bad = kubectl(s, ['create', '-f', '-'], {
    input: YAML.stringify({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'bad', namespace: 'legacy' },
      spec: { selector: { app: 'one' }, template: { metadata: { labels: { app: 'two' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    }),
  });
  assert.notEqual(bad.code, 0);
  assert.match(
    bad.stderr,
    /ReplicationController "bad" is invalid: spec.template.metadata.labels: Invalid value: map\[string\]string\{"app":"two"\}: `selector` does not match template `labels`/,
  );
});
