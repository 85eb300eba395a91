// `berth server --single-process` runs the scheduler and the controllers on one SharedInformerFactory: each
// resource is listed and watched once by the process, as the API server's own metrics count
// (apiserver_longrunning_requests by resource: the watches open now). Before the factory the
// scheduler held a second watch of pods, nodes and namespaces. The shared informers must still
// drive both: a Deployment's pods are created by the controllers and bound by the scheduler.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api, eventually, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';
import { parseExposition, value, type Sample } from './prometheus.js';

let s: RunningServer;

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer({ args: ['--single-process'] });
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

async function samples(): Promise<Sample[]> {
  const r = await api(s, 'GET', '/metrics');
  assert.equal(r.status, 200, r.text);
  return parseExposition(r.text).samples;
}

const watching = (xs: Sample[], resource: string) => value(xs, 'apiserver_longrunning_requests', { verb: 'WATCH', resource });

// Read by both the scheduler and the controllers (pods, nodes, namespaces), or by several
// controllers (replicasets, jobs, services, endpointslices...).
const SHARED = ['pods', 'nodes', 'namespaces', 'replicasets', 'deployments', 'services', 'endpointslices', 'jobs', 'leases'];

test('berth server lists and watches each resource once for its scheduler and controllers', async () => {
  // Both components are leaders of their leases and have synced when every informer watches.
  await eventually(
    async () => {
      const xs = await samples();
      return SHARED.every((r) => watching(xs, r) >= 1);
    },
    `watches of ${SHARED.join(', ')} open`,
  );
  // Sampled a few times: a second watch opened a moment later would show.
  for (let i = 0; i < 3; i++) {
    const xs = await samples();
    for (const r of SHARED) assert.equal(watching(xs, r), 1, `${r}: one watch for the whole process`);
    assert.equal(value(xs, 'apiserver_registered_watchers', { group: '', version: 'v1', kind: 'Pod' }), 1);
    // One list per informer: the first list of the pods' informer, for both consumers.
    assert.equal(value(xs, 'apiserver_request_total', { verb: 'LIST', resource: 'pods', component: 'apiserver' }), 1, 'pods listed once');
    await new Promise((r) => setTimeout(r, 500));
  }
});

test('the shared informers drive controllers and scheduler alike: a Deployment gets pods, bound to a node', async () => {
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'shared-inf-node', labels: { 'kubernetes.io/hostname': 'shared-inf-node' } },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
  kubectlOk(s, ['apply', '-f', '-'], { input: JSON.stringify(node) });
  kubectlOk(s, ['create', 'deployment', 'shared-inf', '--image=busybox', '--replicas=2']);
  type PodLike = { metadata: { deletionTimestamp?: string }; spec: { nodeName?: string } };
  const pods = () => JSON.parse(kubectlOk(s, ['get', 'pods', '-l', 'app=shared-inf', '-o', 'json'])).items as PodLike[];
  await eventually(() => {
    const ps = pods();
    return ps.length === 2 && ps.every((p) => p.spec.nodeName === 'shared-inf-node');
  }, 'two pods of the Deployment bound to shared-inf-node');
  // Scaling goes through the Deployment's and ReplicaSet's informers again (no kubelet here
  // finishes the deleted pod's termination: it stays, Terminating).
  kubectlOk(s, ['scale', 'deployment', 'shared-inf', '--replicas=1']);
  await eventually(() => pods().filter((p) => !p.metadata.deletionTimestamp).length === 1, 'one pod left that is not terminating');
  const xs = await samples();
  assert.equal(watching(xs, 'pods'), 1, 'still one pods watch');
});
