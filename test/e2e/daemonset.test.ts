// DaemonSets end to end, with the real kubectl against a server and three simulated nodes: one
// pod per eligible node (a tainted node skipped until untainted), printed as upstream, an image
// rollout one node at a time seen by `kubectl rollout status`, history and undo through
// ControllerRevisions, and `kubectl drain --ignore-daemonsets` leaving the daemon pod alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import type { Pod } from 'kubernetes-types/core/v1';
import { RestClient } from '../../src/client/index.js';
import { eventually, kubectlAsync, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';
import { startSimProcess, type SimProcess } from './sim-process.js';
import { PodJournal, isReady } from './pod-journal.js';

let s: RunningServer;
let sim: SimProcess;
let client: RestClient;

const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });
const podsOf = () => (JSON.parse(ok(['get', 'pods', '-l', 'app=agent', '-o', 'json'])).items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
  client = RestClient.fromKubeconfig(s.kubeconfig);
  sim = await startSimProcess({ kubeconfig: s.kubeconfig, nodes: '3', namePrefix: 'ds-', startDelay: '300', podCidr: '10.244.0.0/16' });
});

after(async () => {
  await sim?.stop();
  client?.close();
  await s?.stop();
  s?.cleanup();
});

test('a DaemonSet covers the eligible nodes, follows an untainted node, rolls out one node at a time, and undoes through its history', async () => {
  ok(['taint', 'node', 'ds-2', 'dedicated=db:NoSchedule']);
  ok(
    ['apply', '-f', '-'],
    YAML.stringify({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'registry.local/agent:1' }] },
        },
      },
    }),
  );
  await eventually(() => /^agent\s+2\s+2\s+2\s+2\s+2\s+<none>\s+\S+$/m.test(ok(['get', 'ds', '--no-headers'])), 'kubectl get ds shows 2 2 2 2 2', 30_000);
  assert.match(ok(['get', 'ds']).split('\n')[0]!, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
  assert.deepEqual(
    podsOf()
      .map((p) => p.spec!.nodeName)
      .sort(),
    ['ds-0', 'ds-1'],
  );

  ok(['taint', 'node', 'ds-2', 'dedicated-']);
  await eventually(() => podsOf().filter((p) => p.spec?.nodeName === 'ds-2' && isReady(p)).length === 1, 'a pod on the untainted node', 30_000);

  // The rollout, watched: never more than one node without a ready pod.
  const journal = new PodJournal(client, 'app=agent');
  await journal.start();
  try {
    ok(['set', 'image', 'ds/agent', 'c=registry.local/agent:2']);
    const status = await kubectlAsync(s, ['rollout', 'status', 'ds/agent', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /daemon set "agent" successfully rolled out/);
  } finally {
    journal.stop();
  }
  assert.ok(journal.fewestReadyNodes >= 2, `at some point only ${journal.fewestReadyNodes} of 3 nodes had a ready pod`);
  await eventually(() => podsOf().length === 3 && podsOf().every((p) => p.spec!.containers[0]!.image === 'registry.local/agent:2'), 'all pods on image 2');

  const history = ok(['rollout', 'history', 'ds/agent']);
  assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  assert.match(ok(['rollout', 'history', 'ds/agent', '--revision=1']), /registry\.local\/agent:1/);
  assert.match(ok(['get', 'controllerrevisions', '--no-headers']), /agent-\w+\s+daemonset\.apps\/agent\s+2\s+/);

  assert.match(ok(['rollout', 'undo', 'ds/agent']), /daemonset.apps\/agent rolled back/);
  const undone = await kubectlAsync(s, ['rollout', 'status', 'ds/agent', '--timeout=90s'], { timeoutMs: 100_000 });
  assert.equal(undone.code, 0, undone.stderr);
  await eventually(() => podsOf().length === 3 && podsOf().every((p) => p.spec!.containers[0]!.image === 'registry.local/agent:1'), 'all pods back on image 1');
  // The old template's revision is reused and renumbered, as upstream.
  assert.match(ok(['rollout', 'history', 'ds/agent']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);

  // Drain skips daemon pods with --ignore-daemonsets (they would come straight back).
  const drain = await kubectlAsync(s, ['drain', 'ds-0', '--ignore-daemonsets', '--timeout=30s'], { timeoutMs: 40_000 });
  assert.equal(drain.code, 0, drain.stderr);
  assert.match(drain.stdout + drain.stderr, /Warning: ignoring DaemonSet-managed Pods: default\/agent-\w+/);
  assert.equal(podsOf().filter((p) => p.spec?.nodeName === 'ds-0').length, 1, 'the daemon pod stays on the drained node');
});
