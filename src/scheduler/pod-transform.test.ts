// The scheduler's pod transform keeps what scheduling reads, and only that. Pods with every kind
// of field are run through the plugins (a scheduling cycle, preemption), the cache, the queue,
// the status writer and the event reference while a proxy records each field read; every
// recorded path must be one the transform keeps. And the same cycles over transformed pods
// choose the same nodes and victims as over whole ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapGrowth } from '../client/heap-growth.js';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { makeNode, makeSnapshot } from './framework/testing.js';
import { DefaultPreemption } from './plugins/default-preemption.js';
import { FitError, SchedulingAlgorithm } from './schedule-pod.js';
import { SchedulingQueue } from './queue.js';
import { SchedulerCache } from './cache.js';
import { PodStatusWriter } from './pod-status.js';
import { objectReference } from '../client/events.js';
import type { RestClient } from '../client/index.js';
import { keptBySchedulerTransform, schedulerPodTransform } from './pod-transform.js';
import { testFramework } from './testing.js';

/** A pod with the fields a real one carries, scheduling-relevant or not. */
function richPod(name: string, opts: { node?: string; priority?: number; cpu?: string; app?: string } = {}): Pod {
  const app = opts.app ?? 'web';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      resourceVersion: '42',
      generateName: `${app}-`,
      creationTimestamp: '2026-12-05T04:10:11Z',
      labels: { app, 'pod-template-hash': '5d8f' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': 'now', note: 'x' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-5d8f`, uid: 'rs-uid', controller: true, blockOwnerDeletion: true }],
      finalizers: ['example.com/keep'],
      managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} }],
    },
    spec: {
      ...(opts.node ? { nodeName: opts.node } : {}),
      schedulerName: 'default-scheduler',
      priority: opts.priority ?? 0,
      priorityClassName: 'some-class',
      preemptionPolicy: 'PreemptLowerPriority',
      serviceAccountName: 'default',
      automountServiceAccountToken: true,
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      enableServiceLinks: true,
      hostname: name,
      subdomain: 'svc',
      securityContext: { runAsUser: 1000 },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
          },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }],
        },
        podAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { labelSelector: { matchLabels: { app } }, topologyKey: 'zone' } }],
        },
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'nobody' } }, topologyKey: 'kubernetes.io/hostname' }],
        },
      },
      topologySpreadConstraints: [{ maxSkew: 3, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app } } }],
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'conf', configMap: { name: 'conf' } },
        {
          name: 'kube-api-access-x1',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
      initContainers: [
        { name: 'init', image: 'busybox:1.36', command: ['sh', '-c', 'true'], resources: { requests: { cpu: '50m' } } },
        { name: 'sidecar', image: 'envoy:1', restartPolicy: 'Always', ports: [{ containerPort: 9901 }], resources: { requests: { cpu: '10m' } } },
      ],
      containers: [
        {
          name: 'app',
          image: 'registry.k8s.io/pause:3.10',
          imagePullPolicy: 'IfNotPresent',
          command: ['/pause'],
          args: ['--x'],
          env: [{ name: 'A', value: 'b' }],
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          ports: [{ name: 'http', containerPort: 80, hostPort: opts.node ? 8080 : 8081, protocol: 'TCP' }],
          resources: { requests: { cpu: opts.cpu ?? '500m', memory: '64Mi' }, limits: { memory: '128Mi' } },
          readinessProbe: { httpGet: { path: '/', port: 80 } },
          livenessProbe: { tcpSocket: { port: 80 } },
          securityContext: { readOnlyRootFilesystem: true },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
    },
    status: {
      phase: opts.node ? 'Running' : 'Pending',
      qosClass: 'Burstable',
      ...(opts.node ? { hostIP: '10.0.0.1', podIP: '10.1.0.5', podIPs: [{ ip: '10.1.0.5' }], startTime: '2026-12-05T04:10:12Z' } : {}),
      conditions: [
        {
          type: 'PodScheduled',
          status: opts.node ? 'True' : 'False',
          reason: opts.node ? undefined : 'Unschedulable',
          lastTransitionTime: '2026-12-05T04:10:11Z',
        },
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-12-05T04:10:13Z' },
      ],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 0,
          image: 'registry.k8s.io/pause:3.10',
          imageID: 'sha256:ab',
          containerID: 'containerd://1',
          state: { running: {} },
        },
      ],
    },
  } as Pod;
}

/** Wraps obj so that every field read is added to reads as a path ("spec.containers[].image"). */
function recording<T extends object>(obj: T, reads: Set<string>, prefix = '', seen = new WeakMap<object, object>()): T {
  const cached = seen.get(obj);
  if (cached) return cached as T;
  const isList = Array.isArray(obj);
  const proxy = new Proxy(obj, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop === 'symbol' || prop === 'toJSON') return value;
      let path: string | undefined;
      if (isList) path = /^\d+$/.test(prop) ? `${prefix}[]` : undefined;
      else path = prefix ? `${prefix}.${prop}` : prop;
      if (path === undefined) return value;
      if (value !== undefined) reads.add(path);
      return value !== null && typeof value === 'object' ? recording(value, reads, path, seen) : value;
    },
  });
  seen.set(obj, proxy);
  return proxy;
}

function nodes(): Node[] {
  return [
    makeNode('n1', { cpu: '2', memory: '4Gi', pods: '110' }, { zone: 'a', 'kubernetes.io/os': 'linux' }),
    makeNode('n2', { cpu: '2', memory: '4Gi', pods: '110' }, { zone: 'b', 'kubernetes.io/os': 'linux' }),
    makeNode('n3', { cpu: '8', memory: '16Gi', pods: '110' }, { zone: 'c', 'kubernetes.io/os': 'linux' }),
  ];
}

/** The paths of a scheduling cycle, preemption, cache, queue and status writes; what they decided. */
async function exercise(wrap: (p: Pod) => Pod): Promise<{ chosen: string; nominated?: string; victims: string[] }> {
  const placed = [
    wrap(richPod('a1', { node: 'n1', priority: 1, cpu: '1' })),
    wrap(richPod('a2', { node: 'n1', priority: 2, cpu: '500m', app: 'db' })),
    wrap(richPod('b1', { node: 'n2', priority: 1, cpu: '1500m' })),
  ];
  const snap = makeSnapshot(nodes(), placed);
  const victims: string[] = [];
  const { fwk, handle: preemptHandle } = testFramework(snap, { evictVictim: (v) => void victims.push(v.metadata!.name!) });
  const alg = new SchedulingAlgorithm(() => 0);
  // A cycle that fits: affinity, spread, ports, sidecar requests, the zone label.
  const pending = wrap(richPod('new', { cpu: '200m' }));
  const chosen = alg.schedulePod(fwk, fwk.newCycleState(), pending, snap).suggestedHost;
  // A cycle that does not fit (zones a and b only, too much cpu) and preempts.
  const high = wrap(richPod('high', { priority: 100, cpu: '1500m' }));
  const state = fwk.newCycleState();
  let nominated: string | undefined;
  try {
    alg.schedulePod(fwk, state, high, snap);
    assert.fail('the high-priority pod should not fit');
  } catch (e) {
    if (!(e instanceof FitError)) throw e;
    const r = await new DefaultPreemption(undefined, preemptHandle, () => 0).postFilter(state, high, e.diagnosis.nodeToStatus);
    nominated = r.result?.nominatedNodeName;
  }
  // The scheduler's cache as the informer feeds it.
  const cache = new SchedulerCache();
  for (const n of nodes()) cache.addOrUpdateNode(n);
  for (const p of placed) cache.addOrUpdatePod(p);
  // (assume copies the pod whole, a spread that reads every field to copy it, not to use it.)
  cache.assume(richPod('new', { cpu: '200m' }), chosen);
  cache.removePod(placed[0]!);
  // The queue, as pods are added, updated and popped.
  const queue = new SchedulingQueue(() => fwk, [fwk]);
  queue.add(pending);
  queue.add(high);
  queue.update(high);
  const popped = await queue.pop();
  assert.equal(popped!.podInfo.pod.metadata!.name, 'high', 'the higher priority pops first');
  queue.addUnschedulable(popped!, new Set(['NodeResourcesFit']));
  queue.moveOnEvent({ resource: 'AssignedPod', action: 'Delete' }, placed[0], undefined);
  queue.done(popped!.podInfo.key);
  queue.close();
  // What is written back: a failure's condition, a nomination, an eviction, events.
  const client = { patch: async () => ({}), delete: async () => ({}) } as unknown as RestClient;
  const writer = new PodStatusWriter(client, { event: (p) => void objectReference(p) });
  writer.recordFailure(pending, '0/3 nodes are available', 'Unschedulable', 'n3');
  await writer.setNominatedNode(high, 'n1');
  await writer.evictVictim(placed[1]!, high, 'n1', 'default-scheduler');
  writer.recordScheduled(pending, chosen);
  return { chosen, nominated, victims: victims.sort() };
}

test('scheduling reads only fields the scheduler transform keeps', async () => {
  const reads = new Set<string>();
  await exercise((p) => recording(p, reads));
  // The recorder saw the reads that matter (so the check below is not vacuous).
  for (const path of ['spec.containers[].resources', 'spec.initContainers[].restartPolicy', 'spec.affinity', 'metadata.labels', 'spec.containers[].ports']) {
    assert.ok(
      [...reads].some((r) => r.startsWith(path)),
      `expected a read under ${path}; saw ${[...reads].sort().join(', ')}`,
    );
  }
  const dropped = [...reads].filter((r) => !keptBySchedulerTransform(r)).sort();
  assert.deepEqual(dropped, [], `scheduling read fields the transform drops: ${dropped.join(', ')}`);
});

test('the same cycles over transformed pods choose the same node, nomination and victims', async () => {
  const whole = await exercise((p) => p);
  const trimmed = await exercise((p) => schedulerPodTransform(p));
  assert.ok(whole.nominated, 'the high-priority pod preempts');
  assert.ok(whole.victims.length > 0);
  assert.deepEqual(trimmed, whole);
});

test('the transform keeps the listed fields and drops the rest', () => {
  const p = schedulerPodTransform(richPod('p', { node: 'n1' }));
  assert.deepEqual(Object.keys(p.metadata!).sort(), ['creationTimestamp', 'labels', 'name', 'namespace', 'resourceVersion', 'uid']);
  assert.equal(p.spec!.nodeName, 'n1');
  assert.deepEqual(p.spec!.affinity, richPod('p').spec!.affinity);
  assert.equal(p.spec!.volumes, undefined, 'volumes naming no claim are dropped (every plugin skips them)');
  const claims = schedulerPodTransform({
    metadata: { name: 'c' },
    spec: {
      containers: [],
      volumes: [
        { name: 'd', persistentVolumeClaim: { claimName: 'data-0' } },
        { name: 'e', ephemeral: { volumeClaimTemplate: { spec: {} } } },
      ],
    },
  } as Pod);
  assert.deepEqual(claims.spec!.volumes, [
    { name: 'd', persistentVolumeClaim: { claimName: 'data-0' } },
    { name: 'e', ephemeral: { volumeClaimTemplate: { spec: {} } } },
  ]);
  assert.equal(p.spec!.serviceAccountName, undefined);
  assert.equal(p.spec!.priorityClassName, undefined);
  assert.deepEqual(p.spec!.containers, [
    {
      name: 'app',
      image: 'registry.k8s.io/pause:3.10',
      ports: [{ name: 'http', containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
      resources: { requests: { cpu: '500m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    },
  ]);
  assert.equal(p.spec!.initContainers![1]!.restartPolicy, 'Always');
  assert.equal(p.spec!.initContainers![0]!.command, undefined);
  assert.deepEqual(Object.keys(p.status!).sort(), ['conditions', 'phase', 'startTime']);
  assert.deepEqual(
    p.status!.conditions!.map((c) => c.type),
    ['PodScheduled'],
  );
  // A pod without conditions gets none added; one without a status stays without.
  const bare = schedulerPodTransform({ metadata: { name: 'b' }, spec: { containers: [{ name: 'c' }] } } as Pod);
  assert.deepEqual(bare, { metadata: { name: 'b' }, spec: { containers: [{ name: 'c' }] } });
});

test('pods of one template share the kept parts of it, frozen, and keep their own names and nodes', () => {
  const pods = ['s1', 's2', 's3'].map((name, i) => schedulerPodTransform(richPod(name, { node: `n${i}` })));
  const [a, , c] = pods as [Pod, Pod, Pod];
  assert.equal(c.metadata!.name, 's3');
  assert.equal(c.spec!.nodeName, 'n2');
  assert.deepEqual(c, schedulerPodTransform(structuredClone(richPod('s3', { node: 'n2' }))), 'the same value as an unshared transform');
  for (const [what, x, y] of [
    ['labels', a.metadata!.labels, c.metadata!.labels],
    ['containers', a.spec!.containers, c.spec!.containers],
    ['tolerations', a.spec!.tolerations, c.spec!.tolerations],
    ['affinity', a.spec!.affinity, c.spec!.affinity],
    ['conditions', a.status!.conditions, c.status!.conditions],
  ] as const) {
    assert.equal(x, y, `${what}: one object`);
    assert.ok(Object.isFrozen(x), `${what}: frozen`);
  }
});

test('a transformed pod stays small: the volumes and conditions it narrows leave plain objects, not dictionaries', () => {
  // Deleting them from the kept spec and status made V8 keep each as a dictionary.
  const n = 20_000;
  const json = (i: number) => JSON.stringify(richPod(`p-${i}`, { node: `n${i % 50}` }));
  const { bytes, result: kept } = heapGrowth(() => Array.from({ length: n }, (_, i) => schedulerPodTransform(JSON.parse(json(i)) as Pod)));
  const perPod = bytes / n;
  // Measured 430 B (1 170 B with the dictionaries).
  assert.ok(perPod < 800, `a cached pod takes ${Math.round(perPod)} B`);
  assert.equal(kept[3]!.spec!.volumes, undefined);
  assert.deepEqual(
    kept[3]!.status!.conditions!.map((c) => c.type),
    ['PodScheduled'],
  );
});
