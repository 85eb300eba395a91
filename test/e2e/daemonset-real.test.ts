// A DaemonSet over one real node (agent-fixture.ts: containerd, runc, the CNI bridge) and
// simulated ones (a `berth sim` process): a pod on every node but the tainted one, the real
// node's a real container running the image built and imported here; a node that joins later
// gets its pod; and an image change rolls over the nodes one at a time (maxUnavailable 1, seen
// by a watch, readiness from a probe), the real node switching to a second image imported into
// its containerd, whose container writes into a hostPath directory of the node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { RestClient } from '../../src/client/index.js';
import { importImageFile } from '../../src/cli/agent.js';
import { busyboxLayer, findStaticBusybox, ociArchive } from '../../src/runtime/index.js';
import { eventually, kubectlAsync, kubectlOk, skipIfMissing } from './harness.js';
import { missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';
import { startSimProcess, type SimProcess } from './sim-process.js';
import { PodJournal, isReady } from './pod-journal.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the DaemonSet e2e test on a real node');

const image = (v: string) => `berth.local/daemon:${v}`;

describe('a DaemonSet over a real node and simulated ones', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  let client: RestClient;
  const sims: SimProcess[] = [];
  const ok = (args: string[]) => kubectlOk(env.server, args, { timeoutMs: 30_000 });
  const pods = () => (JSON.parse(ok(['get', 'pods', '-l', 'app=daemon', '-o', 'json'])).items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
  /** The nodes with a ready daemon pod, sorted. */
  const readyNodes = () =>
    pods()
      .filter(isReady)
      .map((p) => p.spec!.nodeName!)
      .sort();
  const daemonSet = () => JSON.parse(ok(['get', 'ds', 'daemon', '-o', 'json'])) as DaemonSet;
  const realPod = () => pods().find((p) => p.spec?.nodeName === env.nodeName);
  /** The real node's directory the daemon writes its version into. */
  const hostDir = () => join(env.dir, 'daemon-host');

  /** Builds an image from the host's busybox whose command says its version, and loads it into the real node's containerd. */
  const importImage = async (v: string) => {
    const file = join(env.dir, `daemon-${v}.tar`);
    const cmd = ['sh', '-c', `echo "daemon ${v} on $NODE_NAME"; echo ${v} > /host/version; exec sleep 3600`];
    writeFileSync(file, ociArchive([{ name: image(v), layer: await busyboxLayer((await findStaticBusybox())!), cmd }]));
    assert.deepEqual(await importImageFile(file, { dataDir: env.dir }), [image(v)]);
  };

  before(async () => {
    env = await startAgentEnv({ nodeName: 'ds-real' });
    client = RestClient.fromKubeconfig(env.server.kubeconfig);
    sims.push(await startSimProcess({ kubeconfig: env.server.kubeconfig, nodes: '3', namePrefix: 'ds-sim-', startDelay: '300' }));
  });
  after(async () => {
    for (const s of sims) await s.stop();
    client?.close();
    await env?.stop();
  });

  test(
    'one pod per untainted node (a real container on the real node), a joining node gets its pod, an image change rolls one node at a time',
    { timeout: 300_000 },
    async () => {
      await importImage('v1');
      ok(['taint', 'node', 'ds-sim-2', 'dedicated=db:NoSchedule']);
      env.apply({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'daemon' },
        spec: {
          selector: { matchLabels: { app: 'daemon' } },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
          template: {
            metadata: { labels: { app: 'daemon' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              // A node agent's shape: a directory of the node's, and readiness a probe decides
              // (a while after the start, so a rolling update waits on the real node's pod).
              volumes: [{ name: 'host', hostPath: { path: hostDir(), type: 'DirectoryOrCreate' } }],
              containers: [
                {
                  name: 'c',
                  image: image('v1'),
                  // No command: the image's own says which image runs.
                  env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
                  volumeMounts: [{ name: 'host', mountPath: '/host' }],
                  readinessProbe: { exec: { command: ['cat', '/host/version'] }, initialDelaySeconds: 2, periodSeconds: 1 },
                },
              ],
            },
          },
        },
      });
      const expected = [env.nodeName, 'ds-sim-0', 'ds-sim-1'].sort();
      await eventually(() => readyNodes().join() === expected.join(), `ready daemon pods on ${expected.join(', ')}`, 90_000);
      assert.equal(daemonSet().status?.desiredNumberScheduled, 3, 'the tainted node is not counted');
      assert.ok(!pods().some((p) => p.spec?.nodeName === 'ds-sim-2'), 'no pod on the tainted node');
      // The real node's pod is a real container running the imported image.
      const first = realPod()!;
      await eventually(() => env.podLog(first.metadata!.name!, 'c').includes(`daemon v1 on ${env.nodeName}`), 'the real container says v1', 20_000);
      assert.equal(ok(['exec', first.metadata!.name!, '--', 'sh', '-c', 'echo $NODE_NAME']).trim(), env.nodeName);
      assert.equal(readFileSync(join(hostDir(), 'version'), 'utf8'), 'v1\n', "written into the node's directory");

      // A node joining later (another simulator) gets its pod.
      sims.push(await startSimProcess({ kubeconfig: env.server.kubeconfig, nodes: '1', namePrefix: 'ds-late-', startDelay: '300' }));
      const all = [...expected, 'ds-late-0'].sort();
      await eventually(() => readyNodes().join() === all.join(), 'a ready daemon pod on ds-late-0', 60_000);
      assert.equal(daemonSet().status?.desiredNumberScheduled, 4);

      // The image change, watched: at no moment more than one node without a ready (here also
      // available: minReadySeconds 0) daemon pod.
      await importImage('v2');
      const journal = new PodJournal(client, 'app=daemon');
      await journal.start();
      try {
        ok(['set', 'image', 'ds/daemon', `c=${image('v2')}`]);
        const status = await kubectlAsync(env.server, ['rollout', 'status', 'ds/daemon', '--timeout=150s'], { timeoutMs: 160_000 });
        assert.equal(status.code, 0, status.stderr + status.stdout);
        assert.match(status.stdout, /daemon set "daemon" successfully rolled out/);
      } finally {
        journal.stop();
      }
      assert.equal(journal.deleting.length, 4, `every old pod replaced: ${journal.deleting.join(', ')}`);
      assert.equal(journal.fewestReadyNodes, 3, `one node at a time without a ready pod (fewest with one: ${journal.fewestReadyNodes} of 4)`);
      await eventually(() => pods().length === 4 && pods().every((p) => p.spec!.containers[0]!.image === image('v2') && isReady(p)), 'all four on v2');
      assert.deepEqual(readyNodes(), all);

      const second = realPod()!;
      assert.notEqual(second.metadata!.uid, first.metadata!.uid);
      assert.equal(second.status?.containerStatuses?.[0]?.image, image('v2'));
      await eventually(() => env.podLog(second.metadata!.name!, 'c').includes(`daemon v2 on ${env.nodeName}`), 'the real container says v2', 20_000);
      assert.equal(readFileSync(join(hostDir(), 'version'), 'utf8'), 'v2\n');
    },
  );
});
