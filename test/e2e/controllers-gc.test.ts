// The garbage collector, namespace, node lifecycle and pod GC controllers, run in-process against
// a real `berth server` (as the controller manager will run them), driven with the real kubectl:
// cascading deletion in all three policies, dangling owner references, a namespace emptied and
// finalized (held up by a finalizer, then let go), a node going silent and coming back, taint
// eviction, cordon, and pods of a deleted node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { isNotFound, microTime, resources, RestClient, rfc3339, type KubeObject, type WatchHandle } from '../../src/client/index.js';
import { newControllerContext, type ControllerContext } from '../../src/controllers/context.js';
import { newGarbageCollector } from '../../src/controllers/garbagecollector/index.js';
import { newNamespaceController } from '../../src/controllers/namespace.js';
import { newNodeLifecycleController } from '../../src/controllers/nodelifecycle/index.js';
import { newPodGCController } from '../../src/controllers/podgc.js';
import { eventually, kubectl, kubectlBackground, kubectlPath, requireFile, startServer, kubectlOk, type RunningServer } from './harness.js';

let s: RunningServer;
let client: RestClient;
let ctx: ControllerContext;
const stop = new AbortController();
let running: Promise<unknown>;
const logs: string[] = [];

const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });

/**
 * kubectl without blocking this process: the controllers under test run here, and a kubectl
 * that waits for them (delete --wait) must not stop them from running.
 */
async function okAsync(args: string[]): Promise<string> {
  const k = kubectlBackground(s, args);
  const code = await k.done;
  assert.equal(code, 0, `kubectl ${args.join(' ')} failed: ${k.stderr()}${k.stdout()}`);
  return k.stdout();
}

/** eventually(), for a value: what fn returned once it was truthy. */
async function found<T>(fn: () => Promise<T | undefined | null | false | ''> | T | undefined, what: string, timeoutMs?: number): Promise<T> {
  return (await eventually(fn, what, timeoutMs)) as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function get<T = KubeObject>(ref: Parameters<RestClient['get']>[0]): Promise<T | undefined> {
  try {
    return await client.get<T>(ref);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

const pod = (ns: string, name: string) => get<Pod>({ ...resources.pods, namespace: ns, name });
const cm = (ns: string, name: string) => get({ ...resources.configmaps, namespace: ns, name });
const rs = (ns: string, name: string) => get({ ...resources.replicasets, namespace: ns, name });
const node = (name: string) => get<Node>({ ...resources.nodes, name });

function createNamespace(name: string): void {
  ok(['create', 'namespace', name]);
}

/** A ReplicaSet of 0 replicas (no replicaset controller runs here): an owner and nothing more. */
async function createReplicaSet(ns: string, name: string): Promise<KubeObject> {
  return client.create(resources.replicasets, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  } as KubeObject);
}

function ownerRef(owner: KubeObject, extra: Record<string, unknown> = {}) {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata!.name!, uid: owner.metadata!.uid!, ...extra };
}

/** A pod nobody schedules (its scheduler doesn't exist), owned as asked. */
async function createPod(ns: string, name: string, meta: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): Promise<Pod> {
  return client.create(resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, ...meta },
    spec: { schedulerName: 'nobody', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox' }], ...spec },
  } as Pod);
}

async function createConfigMap(ns: string, name: string, meta: Record<string, unknown> = {}): Promise<KubeObject> {
  return client.create(resources.configmaps, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, ...meta },
    data: { k: 'v' },
  } as KubeObject);
}

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer({ args: ['--disable-controller-manager'] });
  client = RestClient.fromKubeconfig(s.kubeconfig);
  ctx = newControllerContext(client, (m) => {
    logs.push(m);
    if (process.env.BERTH_TEST_LOG) process.stderr.write(`${m}\n`);
  });
  const controllers = [
    newGarbageCollector(ctx),
    newNamespaceController(ctx, { deletionDelayMs: 200, finalizerEstimateSeconds: 1 }),
    newNodeLifecycleController(ctx, { nodeMonitorPeriodMs: 500, nodeMonitorGracePeriodMs: 4000, nodeStartupGracePeriodMs: 4000, evictionLimiterQPS: 10 }),
    newPodGCController(ctx, { gcCheckPeriodMs: 500, quarantineMs: 1000, terminatedPodThreshold: 2 }),
  ];
  await ctx.informers.start(30_000);
  running = Promise.all(controllers.map((c) => c.run(stop.signal)));
});

after(async () => {
  stop.abort();
  await running;
  await ctx?.informers.stop();
  client?.close();
  await s?.stop();
  s?.cleanup();
});

test('background cascade: deleting an owner deletes its dependents (pods of a ReplicaSet, ConfigMaps of a ConfigMap)', async () => {
  createNamespace('gc-bg');
  const owner = await createReplicaSet('gc-bg', 'web');
  await createPod('gc-bg', 'web-1', { ownerReferences: [ownerRef(owner, { controller: true, blockOwnerDeletion: true })] });
  await createPod('gc-bg', 'web-2', { ownerReferences: [ownerRef(owner, { controller: true, blockOwnerDeletion: true })] });
  const parent = await createConfigMap('gc-bg', 'parent');
  await createConfigMap('gc-bg', 'child', { ownerReferences: [ownerRef(parent)] });
  await client.create(resources.secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'child-secret', namespace: 'gc-bg', ownerReferences: [ownerRef(parent)] },
  } as KubeObject);
  await createConfigMap('gc-bg', 'bystander');

  assert.match(await okAsync(['delete', 'replicaset', 'web', '-n', 'gc-bg', '--cascade=background']), /replicaset.apps "web" deleted/);
  assert.equal(await rs('gc-bg', 'web'), undefined, 'the owner goes at once');
  await eventually(async () => !(await pod('gc-bg', 'web-1')) && !(await pod('gc-bg', 'web-2')), 'the pods of the deleted ReplicaSet are collected');

  await okAsync(['delete', 'configmap', 'parent', '-n', 'gc-bg']);
  await eventually(async () => !(await cm('gc-bg', 'child')), 'the child ConfigMap is collected');
  await eventually(async () => !(await get({ ...resources.secrets, namespace: 'gc-bg', name: 'child-secret' })), 'the Secret it owned is collected');
  assert.ok(await cm('gc-bg', 'bystander'), 'an object without owners is left alone');
});

test('foreground cascade: the owner waits (foregroundDeletion) until its blocking dependents are gone', async () => {
  createNamespace('gc-fg');
  const owner = await createReplicaSet('gc-fg', 'web');
  // The blocking pod is held by a finalizer of ours, so the wait can be seen.
  await createPod('gc-fg', 'blocking', {
    finalizers: ['example.com/hold'],
    ownerReferences: [ownerRef(owner, { controller: true, blockOwnerDeletion: true })],
  });
  await createPod('gc-fg', 'non-blocking', { ownerReferences: [ownerRef(owner, { blockOwnerDeletion: false })] });

  const del = kubectlBackground(s, ['delete', 'replicaset', 'web', '-n', 'gc-fg', '--cascade=foreground', '--timeout=60s']);
  const waiting = await found(async () => {
    const r = await rs('gc-fg', 'web');
    const blocking = await pod('gc-fg', 'blocking');
    return r?.metadata?.deletionTimestamp && blocking?.metadata?.deletionTimestamp && !(await pod('gc-fg', 'non-blocking')) ? r : undefined;
  }, 'the dependents deleted while the owner waits');
  assert.deepEqual(waiting.metadata!.finalizers, ['foregroundDeletion']);
  await sleep(1000);
  assert.ok(await rs('gc-fg', 'web'), 'still there: a blocking dependent remains');
  assert.equal(del.proc.exitCode, null, 'kubectl is still waiting for the deletion');

  ok(['patch', 'pod', 'blocking', '-n', 'gc-fg', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  assert.equal(await del.done, 0, del.stderr());
  assert.match(del.stdout(), /replicaset.apps "web" deleted/);
  assert.equal(await rs('gc-fg', 'web'), undefined);
  assert.equal(await pod('gc-fg', 'blocking'), undefined);
});

test('orphan cascade: dependents lose the reference and stay, then the owner goes', async () => {
  createNamespace('gc-orphan');
  const owner = await createReplicaSet('gc-orphan', 'web');
  const other = await createConfigMap('gc-orphan', 'other-owner');
  await createPod('gc-orphan', 'web-1', { ownerReferences: [ownerRef(owner, { controller: true, blockOwnerDeletion: true })] });
  await createPod('gc-orphan', 'web-2', { ownerReferences: [ownerRef(owner, { controller: true, blockOwnerDeletion: true }), ownerRef(other)] });

  assert.match(await okAsync(['delete', 'replicaset', 'web', '-n', 'gc-orphan', '--cascade=orphan', '--timeout=60s']), /replicaset.apps "web" deleted/);
  assert.equal(await rs('gc-orphan', 'web'), undefined);
  const p1 = await pod('gc-orphan', 'web-1');
  const p2 = await pod('gc-orphan', 'web-2');
  assert.ok(p1 && p2, 'the pods stay');
  assert.equal(p1.metadata!.ownerReferences, undefined);
  assert.deepEqual(
    p2.metadata!.ownerReferences?.map((r) => r.name),
    ['other-owner'],
    'only the deleted owner is removed',
  );
  await sleep(1500);
  assert.ok((await pod('gc-orphan', 'web-1')) && (await pod('gc-orphan', 'web-2')), 'and are not collected later');
});

test('dangling references: an owner uid that exists nowhere, or not under that name, counts as absent', async () => {
  createNamespace('gc-dangling');
  const real = await createConfigMap('gc-dangling', 'real-owner');
  const node = await client.create(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'gc-owner-node' } } as KubeObject);
  const wrongUid = { apiVersion: 'v1', kind: 'ConfigMap', name: 'real-owner', uid: randomUUID() };
  const nowhere = { apiVersion: 'v1', kind: 'ConfigMap', name: 'never-existed', uid: randomUUID() };
  await createConfigMap('gc-dangling', 'uid-mismatch', { ownerReferences: [wrongUid] });
  await createConfigMap('gc-dangling', 'owner-missing', { ownerReferences: [nowhere] });
  await createConfigMap('gc-dangling', 'mixed', { ownerReferences: [ownerRef(real), { ...nowhere, name: 'also-never', uid: randomUUID() }] });
  // A cluster-scoped owner (a Node) owns namespaced objects from anywhere.
  await createConfigMap('gc-dangling', 'node-owned', { ownerReferences: [ownerRef(node)] });

  await eventually(async () => !(await cm('gc-dangling', 'uid-mismatch')), 'the dependent of a uid not matching the live owner is collected');
  await eventually(async () => !(await cm('gc-dangling', 'owner-missing')), 'the dependent of a missing owner is collected');
  const mixed = await found(async () => {
    const m = await cm('gc-dangling', 'mixed');
    return m?.metadata?.ownerReferences?.length === 1 ? m : undefined;
  }, 'the dangling reference is removed beside a live owner');
  assert.equal(mixed.metadata!.ownerReferences![0]!.uid, real.metadata!.uid);
  assert.ok(await cm('gc-dangling', 'real-owner'));
  assert.ok(await cm('gc-dangling', 'node-owned'), 'a live cluster-scoped owner holds its dependent');
  await okAsync(['delete', 'node', 'gc-owner-node']);
  await eventually(async () => !(await cm('gc-dangling', 'node-owned')), 'deleting the Node collects what it owned');
});

test('namespace deletion: content goes, a finalizer holds it up (status says so), releasing it lets the namespace go', async () => {
  createNamespace('doomed');
  await createConfigMap('doomed', 'plain');
  await createConfigMap('doomed', 'held', { finalizers: ['example.com/x'] });
  await client.create(resources.secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'doomed' },
    stringData: { a: 'b' },
  } as KubeObject);
  const owner = await createReplicaSet('doomed', 'web');
  await createPod('doomed', 'web-1', { ownerReferences: [ownerRef(owner, { controller: true, blockOwnerDeletion: true })] });
  await client.create(resources.leases, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'l', namespace: 'doomed' },
    spec: { holderIdentity: 'x' },
  } as KubeObject);
  await eventually(async () => !!(await get({ ...resources.serviceaccounts, namespace: 'doomed', name: 'default' })), 'the default ServiceAccount');

  assert.match(ok(['delete', 'namespace', 'doomed', '--wait=false']), /namespace "doomed" deleted/);
  const ns = await found(
    async () => {
      const n = await get<
        { status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } } & KubeObject
      >({ ...resources.namespaces, name: 'doomed' });
      const c = n?.status?.conditions?.find((x) => x.type === 'NamespaceFinalizersRemaining');
      return c?.status === 'True' ? n : undefined;
    },
    'NamespaceFinalizersRemaining on the namespace',
    20_000,
  );
  assert.equal(ns.status!.phase, 'Terminating');
  const cond = (type: string) => ns.status!.conditions!.find((c) => c.type === type)!;
  assert.deepEqual(cond('NamespaceFinalizersRemaining'), {
    ...cond('NamespaceFinalizersRemaining'),
    status: 'True',
    reason: 'SomeFinalizersRemain',
    message: 'Some content in the namespace has finalizers remaining: example.com/x in 1 resource instances',
  });
  assert.equal(cond('NamespaceContentRemaining').message, 'Some resources are remaining: configmaps. has 1 resource instances');
  assert.equal(cond('NamespaceContentRemaining').reason, 'SomeResourcesRemain');
  assert.equal(cond('NamespaceDeletionDiscoveryFailure').status, 'False');
  assert.equal(cond('NamespaceDeletionContentFailure').status, 'False');

  // Everything else is gone; the held ConfigMap waits with a deletionTimestamp.
  for (const r of [resources.secrets, resources.pods, resources.replicasets, resources.leases, resources.serviceaccounts]) {
    assert.deepEqual(
      (await client.list({ ...r, namespace: 'doomed' })).items.map((i) => i.metadata!.name),
      [],
      `no ${r.resource} left`,
    );
  }
  const held = (await client.list({ ...resources.configmaps, namespace: 'doomed' })).items;
  assert.deepEqual(
    held.map((i) => i.metadata!.name),
    ['held'],
  );
  assert.ok(held[0]!.metadata!.deletionTimestamp);
  // The API server refuses new content in a terminating namespace.
  const refused = kubectl(s, ['create', 'configmap', 'late', '-n', 'doomed']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /unable to create new content in namespace doomed because it is being terminated/);
  assert.ok(ok(['get', 'namespace', 'doomed']).includes('Terminating'));

  ok(['patch', 'configmap', 'held', '-n', 'doomed', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await eventually(async () => !(await get({ ...resources.namespaces, name: 'doomed' })), 'the namespace is gone once its content is', 20_000);
  const r = kubectl(s, ['get', 'namespace', 'doomed']);
  assert.match(r.stderr, /namespaces "doomed" not found/);
});

test('kubectl delete namespace waits for and sees a namespace with content go', async () => {
  createNamespace('scratch-gc');
  await createConfigMap('scratch-gc', 'a');
  await createPod('scratch-gc', 'p');
  assert.match(await okAsync(['delete', 'namespace', 'scratch-gc', '--timeout=30s']), /namespace "scratch-gc" deleted/);
  assert.equal(await get({ ...resources.namespaces, name: 'scratch-gc' }), undefined);
});

// --- nodes ----------------------------------------------------------------------------------

/** What an agent would register: a Ready node. */
async function createNode(name: string): Promise<Node> {
  const now = rfc3339();
  return client.create(resources.nodes, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now },
      ],
    },
  } as Node);
}

/** An agent's heartbeat: renew the node's Lease (created on first PUT). */
async function renewLease(name: string): Promise<void> {
  await client.update({ ...resources.leases, namespace: 'kube-node-lease', name }, {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
  } as KubeObject);
}

/** An agent posting Ready=True again. */
async function postReady(name: string): Promise<void> {
  const n = (await node(name))!;
  const now = rfc3339();
  const conditions = (n.status?.conditions ?? []).map((c) => ({
    ...c,
    status: c.type === 'Ready' ? 'True' : 'False',
    reason: c.type === 'Ready' ? 'KubeletReady' : 'KubeletHasSufficientResources',
    message: 'posted by the test agent',
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  }));
  await client.updateStatus(resources.nodes, { ...n, status: { ...n.status, conditions } });
}

const taintsOf = async (name: string) => (await node(name))?.spec?.taints ?? [];
const hasTaint = async (name: string, key: string, effect: string) => (await taintsOf(name)).find((t) => t.key === key && t.effect === effect);

test('a node whose lease stops being renewed goes Unknown and tainted; pods are marked not Ready and evicted by their tolerations', async () => {
  await createNode('nl-live');
  await createNode('nl-dying');
  let dyingBeats = true;
  const beats = setInterval(() => {
    void renewLease('nl-live').catch(() => {});
    if (dyingBeats) void renewLease('nl-dying').catch(() => {});
  }, 500);
  try {
    await renewLease('nl-live');
    await renewLease('nl-dying');
    createNamespace('nlc');
    const onDying = { nodeName: 'nl-dying', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30 };
    // Tolerates unreachable only with a value the taint doesn't have: no toleration at all.
    await createPod(
      'nlc',
      'intolerant',
      {},
      { ...onDying, tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Equal', value: 'never', effect: 'NoExecute' }] },
    );
    await createPod(
      'nlc',
      'tolerating',
      {},
      { ...onDying, tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }] },
    );
    const dflt = await createPod('nlc', 'default-tolerations', {}, onDying);
    assert.ok(
      dflt.spec!.tolerations!.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.tolerationSeconds === 300),
      'the API server added the 300 s default',
    );
    await client.updateStatus(resources.pods, {
      ...dflt,
      status: { ...dflt.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339() }] },
    });

    await sleep(5000);
    assert.equal((await node('nl-dying'))!.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True', 'renewing its lease keeps a node Ready');
    assert.deepEqual(await taintsOf('nl-dying'), []);

    dyingBeats = false;
    const dead = await found(
      async () => {
        const n = await node('nl-dying');
        return n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' ? n : undefined;
      },
      'Ready=Unknown after the grace period',
      15_000,
    );
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      const c = dead.status!.conditions!.find((x) => x.type === type)!;
      assert.equal(c.status, 'Unknown', type);
      assert.ok(c.reason === 'NodeStatusUnknown' || c.reason === 'NodeStatusNeverUpdated', `${type}: ${c.reason}`);
    }
    assert.equal(dead.status!.conditions!.find((c) => c.type === 'Ready')!.message, 'Kubelet stopped posting node status.');
    // A write of its own after the status one (the node's update event drives it), as upstream's.
    await found(() => hasTaint('nl-dying', 'node.kubernetes.io/unreachable', 'NoSchedule'), 'TaintNodeByCondition: unreachable NoSchedule', 5000);
    const noExecute = await found(() => hasTaint('nl-dying', 'node.kubernetes.io/unreachable', 'NoExecute'), 'the unreachable NoExecute taint', 10_000);
    const taintSeen = Date.now();
    assert.ok(noExecute.timeAdded, 'with timeAdded');
    assert.equal(await hasTaint('nl-live', 'node.kubernetes.io/unreachable', 'NoExecute'), undefined, 'the live node is untouched');

    const intolerant = await found(
      async () => {
        const p = await pod('nlc', 'intolerant');
        return p?.metadata?.deletionTimestamp ? p : undefined;
      },
      'the intolerant pod deleted at once',
      3000,
    );
    assert.deepEqual(
      intolerant.status!.conditions!.find((c) => c.type === 'DisruptionTarget'),
      {
        ...intolerant.status!.conditions!.find((c) => c.type === 'DisruptionTarget'),
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
      },
    );
    assert.equal((await pod('nlc', 'tolerating'))!.metadata!.deletionTimestamp, undefined, 'the tolerating pod is still within its 3 s');
    const marked = await found(async () => {
      const p = await pod('nlc', 'default-tolerations');
      return p?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? p : undefined;
    }, 'pods on the node marked not Ready');
    assert.equal(marked.metadata!.deletionTimestamp, undefined);

    await eventually(async () => !!(await pod('nlc', 'tolerating'))?.metadata?.deletionTimestamp, 'the tolerating pod deleted after tolerationSeconds', 8000);
    const waited = Date.now() - taintSeen;
    assert.ok(waited >= 2500, `evicted ${waited} ms after the taint, not before its 3 s`);
    assert.equal((await pod('nlc', 'tolerating'))!.status!.conditions!.find((c) => c.type === 'DisruptionTarget')?.reason, 'DeletionByTaintManager');
    await eventually(
      () => /TaintManagerEviction\s+pod\/intolerant\s+Marking for deletion Pod nlc\/intolerant/.test(ok(['get', 'events', '-n', 'nlc'])),
      'the eviction event',
    );

    // The agent is back: lease renewed and Ready posted. The taints come off; the pending eviction is cancelled.
    dyingBeats = true;
    await renewLease('nl-dying');
    await postReady('nl-dying');
    await eventually(async () => (await taintsOf('nl-dying')).length === 0, 'all taints removed once the node is heard from again', 10_000);
    await sleep(1000);
    assert.equal((await pod('nlc', 'default-tolerations'))!.metadata!.deletionTimestamp, undefined, 'the 300 s pod was never evicted');
    assert.equal((await node('nl-dying'))!.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
  } finally {
    clearInterval(beats);
  }
});

test('a node whose agent reports Ready=False (lease renewed) gets the not-ready taints instead', async () => {
  await createNode('nl-sick');
  const beats = setInterval(() => void renewLease('nl-sick').catch(() => {}), 500);
  try {
    await renewLease('nl-sick');
    const n = (await node('nl-sick'))!;
    const now = rfc3339();
    await client.updateStatus(resources.nodes, {
      ...n,
      status: {
        ...n.status,
        conditions: [
          { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down', lastHeartbeatTime: now, lastTransitionTime: now },
        ],
      },
    });
    await eventually(() => hasTaint('nl-sick', 'node.kubernetes.io/not-ready', 'NoExecute'), 'the not-ready NoExecute taint');
    assert.ok(await hasTaint('nl-sick', 'node.kubernetes.io/not-ready', 'NoSchedule'));
    assert.equal(await hasTaint('nl-sick', 'node.kubernetes.io/unreachable', 'NoExecute'), undefined);
    const ready = (await node('nl-sick'))!.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.deepEqual([ready.status, ready.reason], ['False', 'KubeletNotReady'], 'the agent is heard: its own condition stands');
    await postReady('nl-sick');
    await eventually(async () => (await taintsOf('nl-sick')).length === 0, 'taints removed when it reports Ready');
  } finally {
    clearInterval(beats);
  }
});

test('cordon adds the unschedulable NoSchedule taint, uncordon removes it', async () => {
  await createNode('nl-cordon');
  const beats = setInterval(() => void renewLease('nl-cordon').catch(() => {}), 500);
  try {
    await renewLease('nl-cordon');
    assert.match(ok(['cordon', 'nl-cordon']), /node\/nl-cordon cordoned/);
    const t = await found(() => hasTaint('nl-cordon', 'node.kubernetes.io/unschedulable', 'NoSchedule'), 'the unschedulable taint');
    assert.ok(t.timeAdded);
    assert.match(ok(['describe', 'node', 'nl-cordon']), /Taints:\s+node.kubernetes.io\/unschedulable:NoSchedule/);
    ok(['uncordon', 'nl-cordon']);
    await eventually(async () => !(await hasTaint('nl-cordon', 'node.kubernetes.io/unschedulable', 'NoSchedule')), 'the taint removed');
  } finally {
    clearInterval(beats);
  }
});

test('pod GC: pods of a deleted node are marked Failed with DisruptionTarget, then force-deleted', async () => {
  createNamespace('podgc');
  await createNode('gone-node');
  await createPod('podgc', 'orphan', {}, { nodeName: 'gone-node', terminationGracePeriodSeconds: 30 });
  await createPod('podgc', 'elsewhere', {}, { nodeName: 'nl-live', terminationGracePeriodSeconds: 30 });
  const seen: Array<{ type: string; pod: Pod }> = [];
  const watch: WatchHandle = client.watch<Pod>(
    { ...resources.pods, namespace: 'podgc' },
    { fieldSelector: 'metadata.name=orphan' },
    (ev) => seen.push({ type: ev.type, pod: ev.object }),
    () => {},
  );
  try {
    await sleep(1500);
    assert.ok(await pod('podgc', 'orphan'), 'a pod on an existing node is left alone');
    await okAsync(['delete', 'node', 'gone-node']);
    await eventually(async () => !(await pod('podgc', 'orphan')), 'the orphaned pod is deleted', 10_000);
    await eventually(() => seen.some((e) => e.type === 'DELETED'), 'the deletion watched');
    const marked = seen.find((e) => e.type === 'MODIFIED' && e.pod.status?.phase === 'Failed');
    assert.ok(marked, `a Failed phase before the deletion: ${seen.map((e) => e.type).join(',')}`);
    assert.deepEqual(
      marked.pod.status!.conditions!.find((c) => c.type === 'DisruptionTarget'),
      {
        ...marked.pod.status!.conditions!.find((c) => c.type === 'DisruptionTarget'),
        status: 'True',
        reason: 'DeletionByPodGC',
        message: 'PodGC: node no longer exists',
      },
    );
    assert.ok(await pod('podgc', 'elsewhere'));
  } finally {
    watch.stop();
  }
});

test('pod GC: terminated pods beyond the threshold are deleted, oldest first', async () => {
  createNamespace('podgc-term');
  for (const name of ['term-a', 'term-b', 'term-c']) {
    const p = await createPod('podgc-term', name);
    await client.updateStatus(resources.pods, { ...p, status: { ...p.status, phase: 'Succeeded' } });
    // creationTimestamp has one-second resolution: keep the ages apart.
    if (name !== 'term-c') await sleep(1100);
  }
  await eventually(async () => !(await pod('podgc-term', 'term-a')), 'the oldest terminated pod is deleted');
  await sleep(1500);
  assert.ok(await pod('podgc-term', 'term-b'));
  assert.ok(await pod('podgc-term', 'term-c'));
});
