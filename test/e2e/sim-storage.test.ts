// Claims of the default class on simulated nodes (a server and `berth sim` in a child process,
// the real kubectl): the pod's node is chosen by the scheduler, the simulator provisions the
// volume there as an object (nothing is mounted on simulated nodes), the pod runs, and deleting
// the claim after the pod deletes the volume (reclaim Delete).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { eventually, kubectl, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';
import { startSimProcess, type SimProcess } from './sim-process.js';

let s: RunningServer;
let sim: SimProcess;

const getJson = <T>(args: string[]): T | undefined => {
  const r = kubectl(s, ['get', ...args, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
};

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
  sim = await startSimProcess({ kubeconfig: s.kubeconfig, nodes: '2', namePrefix: 'vol-', startDelay: '100', podCidr: '10.244.0.0/16' });
});

after(async () => {
  await sim?.stop();
  await s?.stop();
  s?.cleanup();
});

test('a default-class claim binds on the simulated node its pod is scheduled to; Delete removes the volume with the claim', async () => {
  kubectlOk(s, ['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'user' },
          spec: {
            terminationGracePeriodSeconds: 0,
            volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data' } }],
            containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'd', mountPath: '/d' }] }],
          },
        },
      ],
    }),
  });
  const pod = await eventually(
    () => {
      const p = getJson<Pod>(['pod', 'user']);
      return p?.status?.phase === 'Running' ? p : undefined;
    },
    'the pod Running on a simulated node',
    60_000,
  );
  const node = pod!.spec!.nodeName!;
  assert.match(node, /^vol-/);
  const claim = getJson<PersistentVolumeClaim>(['pvc', 'data'])!;
  assert.equal(claim.status?.phase, 'Bound');
  assert.equal(claim.metadata?.annotations?.['volume.kubernetes.io/selected-node'], node);
  const pv = getJson<PersistentVolume>(['pv', claim.spec!.volumeName!])!;
  assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values, [node]);
  assert.equal(pv.status?.phase, 'Bound');

  kubectlOk(s, ['delete', 'pod', 'user', '--wait=true', '--timeout=60s']);
  kubectlOk(s, ['delete', 'pvc', 'data', '--wait=true', '--timeout=60s']);
  await eventually(() => (getJson(['pv', pv.metadata!.name!]) === undefined ? true : undefined), 'the volume deleted', 30_000);
});
