// NodeVolumeLimits end to end (a server, `berth sim` with one simulated node, the real kubectl):
// the node's CSINode lets it attach one volume of a CSI driver; of two pods each using a claim
// bound to a volume of that driver, the second stays Pending with upstream's reason until the
// CSINode's count is raised (the CSINode update requeues it). kubectl prints CSINodes and
// CSIDrivers with upstream's columns.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { eventually, kubectl, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';
import { startSimProcess, type SimProcess } from './sim-process.js';

const DRIVER = 'disk.csi.example.com';
const NODE = 'lim-0';

let s: RunningServer;
let sim: SimProcess;

const getPod = (name: string): Pod | undefined => {
  const r = kubectl(s, ['get', 'pod', name, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
};

const csiNode = (count: number) => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSINode',
  metadata: { name: NODE },
  spec: { drivers: [{ name: DRIVER, nodeID: `${NODE}-disk-id`, allocatable: { count } }] },
});

/** A volume of the driver pre-bound to its claim, the claim, and a pod using it. */
const diskUser = (n: number) => [
  {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `disk-${n}` },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'csi-disk',
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { namespace: 'default', name: `data-${n}` },
      csi: { driver: DRIVER, volumeHandle: `vol-${n}` },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `data-${n}` },
    spec: { storageClassName: 'csi-disk', volumeName: `disk-${n}`, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `user-${n}` },
    spec: {
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'd', persistentVolumeClaim: { claimName: `data-${n}` } }],
      containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'd', mountPath: '/d' }] }],
    },
  },
];

const apply = (items: unknown[]) => kubectlOk(s, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
  sim = await startSimProcess({ kubeconfig: s.kubeconfig, nodes: '1', namePrefix: 'lim-', startDelay: '100', podCidr: '10.245.0.0/16' });
});

after(async () => {
  await sim?.stop();
  await s?.stop();
  s?.cleanup();
});

test('a node whose CSINode allows one volume of a driver takes one pod with such a volume; the second waits until the count is raised', async () => {
  apply([{ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver', metadata: { name: DRIVER }, spec: { attachRequired: true } }, csiNode(1), ...diskUser(1)]);
  const first = await eventually(
    () => {
      const p = getPod('user-1');
      return p?.status?.phase === 'Running' ? p : undefined;
    },
    'user-1 Running',
    60_000,
  );
  assert.equal(first!.spec?.nodeName, NODE);

  apply(diskUser(2));
  await eventually(() => kubectl(s, ['get', 'pvc', 'data-2', '-o', 'jsonpath={.status.phase}']).stdout === 'Bound' || undefined, 'data-2 Bound', 30_000);
  const expected =
    '0/1 nodes are available: 1 node(s) exceed max volume count. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
  const cond = await eventually(
    () => {
      const c = getPod('user-2')?.status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' && c.message === expected ? c : undefined;
    },
    `user-2 unschedulable with: ${expected}`,
    30_000,
  );
  assert.equal(cond!.reason, 'Unschedulable');
  await eventually(
    () =>
      /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/1 nodes are available: 1 node\(s\) exceed max volume count\./.test(
        kubectlOk(s, ['describe', 'pod', 'user-2']),
      ),
    'the FailedScheduling event in kubectl describe',
    15_000,
  );
  assert.equal(getPod('user-2')!.spec?.nodeName, undefined);

  // The CSINode's count raised (a mutable field, as upstream's MutableCSINodeAllocatableCount): its update requeues the pod.
  kubectlOk(s, ['patch', 'csinode', NODE, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/drivers/0/allocatable/count', value: 2 }])]);
  const second = await eventually(
    () => {
      const p = getPod('user-2');
      return p?.status?.phase === 'Running' ? p : undefined;
    },
    'user-2 Running once the node may attach two volumes',
    30_000,
  );
  assert.equal(second!.spec?.nodeName, NODE);
});

test("kubectl get csinodes,csidrivers prints upstream's columns, explain knows them; a bad CSINode is refused as invalid", () => {
  const out = kubectlOk(s, ['get', 'csinodes,csidrivers']);
  const lines = out.split('\n').map((l) => l.trim().split(/\s+/));
  assert.deepEqual(lines[0], ['NAME', 'DRIVERS', 'AGE']);
  assert.deepEqual(lines[1]!.slice(0, 2), [`csinode.storage.k8s.io/${NODE}`, '1']);
  const driverHeader = lines.findIndex((l) => l[0] === 'NAME' && l[1] === 'ATTACHREQUIRED');
  assert.deepEqual(lines[driverHeader], ['NAME', 'ATTACHREQUIRED', 'PODINFOONMOUNT', 'STORAGECAPACITY', 'TOKENREQUESTS', 'REQUIRESREPUBLISH', 'MODES', 'AGE']);
  assert.deepEqual(lines[driverHeader + 1]!.slice(0, 7), [`csidriver.storage.k8s.io/${DRIVER}`, 'true', 'false', 'false', '<unset>', 'false', 'Persistent']);

  // kubectl explain finds both kinds in the OpenAPI (their group-version-kind).
  assert.match(
    kubectlOk(s, ['explain', 'csinode.spec.drivers.allocatable.count']),
    /GROUP:\s+storage\.k8s\.io\nKIND:\s+CSINode\n[\s\S]*FIELD: count <integer>/,
  );
  assert.match(kubectlOk(s, ['explain', 'csidriver.spec.attachRequired']), /KIND:\s+CSIDriver\n[\s\S]*FIELD: attachRequired <boolean>/);

  const bad = kubectl(s, ['create', '-f', '-'], {
    input: JSON.stringify({ ...csiNode(-1), metadata: { name: 'lim-bad' } }),
  });
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stderr.trim(), 'The CSINode "lim-bad" is invalid: spec.drivers[0].allocatable.count: Invalid value: -1: must be greater than or equal to 0');
});
