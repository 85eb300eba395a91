// The controllers' pod transform: what it keeps and drops, and that no controller reads a
// container field it drops (a scan of the controllers' sources, so a new read fails here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { heapGrowth } from '../client/heap-growth.js';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  CONTROLLER_CONTAINER_FIELDS,
  CONTROLLER_VOLUME_FIELDS,
  UNREAD_CONTAINER_STATUS_FIELDS,
  controllerPodTransform,
  controllerTransformFor,
} from './pod-transform.js';
import { resources } from '../client/index.js';
import { VOLUME_SOURCES } from '../api/validation/pod.js';

/** Container fields Kubernetes defines; those not in CONTROLLER_CONTAINER_FIELDS are dropped. */
const CONTAINER_FIELDS = [
  'name',
  'image',
  'command',
  'args',
  'workingDir',
  'ports',
  'envFrom',
  'env',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'volumeMounts',
  'volumeDevices',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
];
const DROPPED = [
  ...CONTAINER_FIELDS.filter((f) => !(CONTROLLER_CONTAINER_FIELDS as readonly string[]).includes(f)),
  ...VOLUME_SOURCES.filter((f) => !(CONTROLLER_VOLUME_FIELDS as readonly string[]).includes(f)),
  ...UNREAD_CONTAINER_STATUS_FIELDS,
];

/** Reads of dropped names that are not of a cached pod's container, each with its reason. */
const NOT_CACHED_PODS: Array<{ file: string; field: string; why: string }> = [
  { file: 'job/controller.ts', field: 'env', why: 'sets JOB_COMPLETION_INDEX on the template of a pod it creates' },
];

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && name !== 'pod-transform.ts' && name !== 'fake-api.ts') out.push(p);
  }
  return out;
}

function fullPod(): Pod {
  const container = {
    name: 'app',
    image: 'nginx:1.27',
    command: ['nginx'],
    args: ['-g', 'daemon off;'],
    env: [{ name: 'A', value: 'b' }],
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
    ports: [{ name: 'http', containerPort: 80 }],
    resources: { requests: { cpu: '100m' } },
    readinessProbe: { httpGet: { path: '/', port: 80 } },
    securityContext: { runAsNonRoot: true },
    imagePullPolicy: 'IfNotPresent',
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'default',
      uid: 'u1',
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs', controller: true }],
      finalizers: ['x/y'],
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
    },
    spec: {
      nodeName: 'n1',
      hostname: 'web-1',
      subdomain: 'web',
      tolerations: [{ key: 'k', operator: 'Exists' }],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } },
        { name: 'kube-api-access-x', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
        { name: 'conf', configMap: { name: 'conf' } },
      ],
      initContainers: [{ ...container, name: 'side', restartPolicy: 'Always' }],
      containers: [container],
      ephemeralContainers: [{ name: 'debug', image: 'busybox', command: ['sh'] }],
    },
    status: {
      phase: 'Running',
      podIP: '10.1.0.2',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        {
          name: 'app',
          ready: true,
          restartCount: 1,
          image: 'nginx:1.27',
          imageID: 'sha256:x',
          containerID: 'containerd://0123abcd',
          state: { running: { startedAt: '2026-12-05T16:00:00Z' } },
          lastState: { terminated: { exitCode: 137 } },
        },
      ],
    },
  } as Pod;
}

test('the controllers keep metadata, spec and status, and of containers only what they read', () => {
  const before = fullPod();
  const p = controllerPodTransform(fullPod());
  assert.equal(p.metadata!.managedFields, undefined);
  assert.deepEqual(p.metadata!.annotations, { keep: 'me' });
  assert.deepEqual(p.metadata!.ownerReferences, before.metadata!.ownerReferences);
  assert.deepEqual(p.metadata!.finalizers, ['x/y']);
  const { imageID: _i, containerID: _c, ...status } = before.status!.containerStatuses![0]!;
  assert.deepEqual(p.status, { ...before.status, containerStatuses: [status] }, "status whole but for the container statuses' runtime ids");
  assert.deepEqual(
    { ...p.spec, containers: [], initContainers: [], ephemeralContainers: [], volumes: [] },
    { ...before.spec, containers: [], initContainers: [], ephemeralContainers: [], volumes: [] },
  );
  assert.deepEqual(p.spec!.volumes, [before.spec!.volumes![0], before.spec!.volumes![1]], 'the volumes naming claims, whole');
  const noClaims = controllerPodTransform({ ...fullPod(), spec: { ...fullPod().spec!, volumes: [{ name: 'conf', configMap: { name: 'conf' } }] } });
  assert.deepEqual(noClaims.spec!.volumes, [], 'no volume naming a claim: none kept');
  assert.ok(Object.isFrozen(noClaims.spec!.volumes), 'one shared empty list');
  assert.deepEqual(p.spec!.containers, [
    { name: 'app', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }], resources: { requests: { cpu: '100m' } } },
  ]);
  assert.equal(p.spec!.initContainers![0]!.restartPolicy, 'Always');
  assert.equal(p.spec!.initContainers![0]!.env, undefined);
  assert.deepEqual(p.spec!.ephemeralContainers, [{ name: 'debug', image: 'busybox' }]);
  assert.equal(controllerTransformFor(resources.pods), controllerPodTransform as unknown);
  assert.notEqual(controllerTransformFor(resources.replicasets), controllerPodTransform as unknown);
});

test('no controller reads a container field or volume source the transform drops', () => {
  const root = import.meta.dirname;
  const found: string[] = [];
  for (const file of sources(root)) {
    const rel = relative(root, file);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const field of DROPPED) {
          if (!new RegExp(`\\.${field}\\b`).test(line)) continue;
          if (NOT_CACHED_PODS.some((a) => a.file === rel && a.field === field)) continue;
          found.push(`${rel}:${i + 1}: .${field}: ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(
    found,
    [],
    'a controller reads a field the pod transform drops: keep it in CONTROLLER_CONTAINER_FIELDS or CONTROLLER_VOLUME_FIELDS, or list why not',
  );
  // The scan sees the one known read (so it is not scanning nothing).
  const job = readFileSync(join(root, 'job/controller.ts'), 'utf8');
  assert.match(job, /\.env\b/);
});

test("pods of one template share their template's parts, frozen; each keeps its own values", () => {
  const a = controllerPodTransform(fullPod());
  const other = fullPod();
  const b = controllerPodTransform({ ...other, metadata: { ...other.metadata, name: 'web-2', uid: 'u2' }, status: { ...other.status, podIP: '10.1.0.3' } });
  assert.equal(b.metadata!.name, 'web-2');
  assert.equal(b.status!.podIP, '10.1.0.3');
  for (const [what, x, y] of [
    ['labels', a.metadata!.labels, b.metadata!.labels],
    ['ownerReferences', a.metadata!.ownerReferences, b.metadata!.ownerReferences],
    ['containers', a.spec!.containers, b.spec!.containers],
    ['tolerations', a.spec!.tolerations, b.spec!.tolerations],
    ['volumes', a.spec!.volumes, b.spec!.volumes],
    ['conditions', a.status!.conditions, b.status!.conditions],
    ['containerStatuses', a.status!.containerStatuses, b.status!.containerStatuses],
  ] as const) {
    assert.equal(x, y, `${what}: one object`);
    assert.ok(Object.isFrozen(x), `${what}: frozen`);
  }
  assert.equal(Object.isFrozen(b.metadata), false, "a pod's own metadata stays its own");
});

test('a transformed pod stays small: what it drops leaves plain objects, not dictionaries', () => {
  // `delete spec.volumes` made V8 keep every cached spec as a dictionary (800 bytes more a pod),
  // and deleting a container status's ids did the same to each status.
  const json = (i: number) => {
    const p = fullPod();
    return JSON.stringify({
      ...p,
      metadata: { ...p.metadata, name: `web-${i}`, uid: `u-${i}`, ownerReferences: [{ ...p.metadata!.ownerReferences![0]!, uid: 'rs' }] },
      // The fields the API server defaults in every pod's spec.
      spec: {
        ...p.spec,
        volumes: p.spec!.volumes!.slice(2),
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        serviceAccountName: 'default',
        serviceAccount: 'default',
        securityContext: {},
        schedulerName: 'default-scheduler',
        priority: 0,
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
      },
      // A start time of each pod's own: its container status is not shared with another's.
      status: {
        ...p.status,
        podIP: `10.1.${i >> 8}.${i & 255}`,
        containerStatuses: [{ ...p.status!.containerStatuses![0]!, state: { running: { startedAt: new Date(1_800_000_000_000 + i * 1000).toISOString() } } }],
      },
    });
  };
  const n = 20_000;
  const { bytes, result: kept } = heapGrowth(() => Array.from({ length: n }, (_, i) => controllerPodTransform(JSON.parse(json(i)) as Pod)));
  const perPod = bytes / n;
  // Measured 810 B, its own container status included: 1 190 B with dictionary statuses, and
  // a dictionary spec added 680 B more.
  assert.ok(perPod < 1000, `a cached pod takes ${Math.round(perPod)} B`);
  assert.deepEqual(kept[3]!.spec!.volumes, []);
});
