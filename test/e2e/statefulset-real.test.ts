// A StatefulSet on a real node (agent-fixture.ts: containerd, runc, the CNI bridge, the agent's
// cluster DNS and local-path provisioner): web-0, web-1, web-2 start in order, each only once the
// previous one runs and is Ready; each gets a local-path claim from the volumeClaimTemplate,
// bound on the node when its pod is scheduled (WaitForFirstConsumer); what web-0 writes into its
// volume is read back by the web-0 that replaces it; web-1 finds web-0 by its stable name
// through the headless Service and cluster DNS; scaling down keeps the claims (whenScaled
// Retain) or deletes them, their volumes and directories (whenScaled Delete). A rolling update
// replaces the pods from the highest ordinal down, keeping their data; a set deleted and
// created again (its old pods perhaps still terminating) finds its claims and data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { RestClient } from '../../src/client/index.js';
import { eventually, kubectl, kubectlAsync, kubectlOk, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';
import { nslookupAddresses } from './nslookup.js';
import { PodJournal, isReady } from './pod-journal.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the StatefulSet e2e test on a real node');

const statefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    serviceName: 'web',
    podManagementPolicy: 'OrderedReady',
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c',
            image: BUSYBOX,
            command: ['sleep', '3600'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
            // Ready once the volume is there: the next ordinal waits for a probe that really ran.
            readinessProbe: { exec: { command: ['test', '-d', '/data'] }, periodSeconds: 1 },
          },
        ],
      },
    },
    // No class named: the default (local-path) fills it in.
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '32Mi' } } } }],
  },
};

describe('a StatefulSet with real containers and local-path volumes', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  let client: RestClient;
  const ok = (args: string[]) => kubectlOk(env.server, args, { timeoutMs: 30_000 });
  const pods = () => (JSON.parse(ok(['get', 'pods', '-l', 'app=web', '-o', 'json'])).items as Pod[]).filter((p) => !p.metadata?.deletionTimestamp);
  const podNames = () =>
    pods()
      .map((p) => p.metadata!.name!)
      .sort()
      .join();
  const claims = () => JSON.parse(ok(['get', 'pvc', '-o', 'json'])).items as PersistentVolumeClaim[];
  const claimNames = () =>
    claims()
      .map((c) => c.metadata!.name!)
      .sort()
      .join();
  const volume = (name: string) => {
    const r = kubectl(env.server, ['get', 'pv', name, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as PersistentVolume) : undefined;
  };
  const readyPods = () => pods().filter((p) => p.status?.phase === 'Running' && isReady(p));
  const sh = (pod: string, script: string) => ok(['exec', pod, '--', 'sh', '-c', script]);
  let said = '';
  /** The A records busybox nslookup finds for name from pod; what it said is kept for failure messages. */
  const lookup = (pod: string, name: string) => {
    const r = kubectl(env.server, ['exec', pod, '--', 'nslookup', '-type=a', name], { timeoutMs: 30_000 });
    said = r.stdout + r.stderr;
    return nslookupAddresses(r.stdout);
  };

  before(async () => {
    env = await startAgentEnv({ nodeName: 'sts-node' });
    client = RestClient.fromKubeconfig(env.server.kubeconfig);
  });
  after(async () => {
    client?.close();
    await env?.stop();
  });

  test('ordered start, data kept across a recreated pod, stable DNS names, and scale down under Retain then Delete', { timeout: 300_000 }, async () => {
    env.apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 80 }] } });
    const journal = new PodJournal(client, 'app=web');
    await journal.start();
    try {
      env.apply(statefulSet);
      await eventually(() => readyPods().length === 3, 'web-0, web-1 and web-2 running and ready', 150_000);
    } finally {
      journal.stop();
    }
    assert.deepEqual(journal.created, ['web-0', 'web-1', 'web-2']);
    assert.deepEqual(journal.phaseBefore, { 'web-1': 'Running', 'web-2': 'Running' }, 'each pod created only once the previous one ran');
    assert.deepEqual(journal.readyBefore, { 'web-1': true, 'web-2': true }, 'each pod created only once the previous one was Ready');

    // One local-path claim per ordinal, bound on this node, its volume a directory of the agent's.
    await eventually(() => claims().filter((c) => c.status?.phase === 'Bound').length === 3, 'three claims Bound');
    assert.equal(claimNames(), 'data-web-0,data-web-1,data-web-2');
    for (const c of claims()) {
      assert.equal(c.spec?.storageClassName, 'local-path', c.metadata!.name);
      assert.equal(c.metadata?.annotations?.['volume.kubernetes.io/selected-node'], env.nodeName, c.metadata!.name);
      assert.equal(volume(c.spec!.volumeName!)?.spec?.hostPath?.path?.startsWith(`${env.agentDir}/storage/`), true, c.metadata!.name);
    }

    // web-0 writes into its volume; the web-0 that replaces it (a new pod) reads the same data.
    const first = pods().find((p) => p.metadata!.name === 'web-0')!;
    const claim0 = claims().find((c) => c.metadata!.name === 'data-web-0')!;
    const content = `written by web-0 ${first.metadata!.uid}`;
    sh('web-0', `echo '${content}' > /data/f`);
    const hostFile = `${volume(claim0.spec!.volumeName!)!.spec!.hostPath!.path}/f`;
    assert.equal(readFileSync(hostFile, 'utf8'), `${content}\n`, 'the file is in the volume on the host');
    ok(['delete', 'pod', 'web-0', '--wait=true', '--timeout=60s']);
    const second = (await eventually(
      () => readyPods().find((p) => p.metadata!.name === 'web-0' && p.metadata!.uid !== first.metadata!.uid),
      'a new web-0 running and ready',
      90_000,
    ))!;
    assert.equal(sh('web-0', 'cat /data/f'), `${content}\n`);
    const again = claims().find((c) => c.metadata!.name === 'data-web-0')!;
    assert.equal(again.metadata!.uid, claim0.metadata!.uid, 'the same claim');
    assert.equal(again.spec!.volumeName, claim0.spec!.volumeName, 'the same volume');

    // Stable names through the headless Service, from web-1 to the new web-0. busybox nslookup
    // applies the search path to dotless names only (unlike a resolver honouring ndots:5), so
    // the search walk for web-0.web is the shell's, over the pod's own resolv.conf.
    const ip = second.status!.podIP!;
    const resolvConf = sh('web-1', 'cat /etc/resolv.conf');
    assert.match(resolvConf, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m);
    assert.match(resolvConf, /^options ndots:5$/m);
    const viaSearch = () => {
      const r = kubectl(env.server, [
        'exec',
        'web-1',
        '--',
        'sh',
        '-c',
        'for d in $(sed -n "s/^search //p" /etc/resolv.conf); do if nslookup -type=a web-0.web.$d > /tmp/ns 2>&1; then echo "domain: $d"; cat /tmp/ns; exit 0; fi; done; exit 1',
      ]);
      said = r.stdout + r.stderr;
      return { domain: /^domain: (\S+)/.exec(r.stdout)?.[1], addresses: nslookupAddresses(r.stdout) };
    };
    await eventually(() => viaSearch().addresses.join() === ip, `web-0.web resolving to ${ip} from web-1`, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; nslookup said: ${said}`);
    });
    assert.deepEqual(viaSearch(), { domain: 'default.svc.cluster.local', addresses: [ip] }, 'the first search domain answers');
    assert.deepEqual(lookup('web-1', 'web-0.web.default.svc.cluster.local'), [ip]);
    const podIPs = pods()
      .map((p) => p.status!.podIP!)
      .sort();
    assert.deepEqual(lookup('web-1', 'web').sort(), podIPs, "the dotless Service name (busybox's own search) gives every ready pod");
    assert.deepEqual(lookup('web-1', 'web-2.web.default.svc.cluster.local'), [pods().find((p) => p.metadata!.name === 'web-2')!.status!.podIP]);

    // Scale down under whenScaled Retain (the default): web-2 and web-1 go, their claims stay.
    const uids = new Map(claims().map((c) => [c.metadata!.name!, c.metadata!.uid!]));
    const down = new PodJournal(client, 'app=web');
    await down.start();
    try {
      ok(['scale', 'sts', 'web', '--replicas=1']);
      await eventually(() => podNames() === 'web-0' && down.deleting.length === 2, 'scaled down to web-0', 60_000);
    } finally {
      down.stop();
    }
    assert.deepEqual(down.deleting, ['web-2', 'web-1'], 'the highest ordinal goes first');
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(claimNames(), 'data-web-0,data-web-1,data-web-2', 'Retain keeps data-web-1 and data-web-2');
    ok(['scale', 'sts', 'web', '--replicas=3']);
    await eventually(() => readyPods().length === 3, 'three ready again', 120_000);
    assert.ok(
      claims().every((c) => uids.get(c.metadata!.name!) === c.metadata!.uid),
      'the scaled-up pods use the claims they had',
    );

    // whenScaled Delete: the claims of the removed ordinals go with their pods, then (reclaim
    // Delete) their volumes and directories.
    const doomed = claims()
      .filter((c) => c.metadata!.name !== 'data-web-0')
      .map((c) => ({ pv: c.spec!.volumeName!, dir: volume(c.spec!.volumeName!)!.spec!.hostPath!.path! }));
    assert.ok(doomed.every((d) => existsSync(d.dir)));
    ok(['patch', 'sts', 'web', '--type=merge', '-p', '{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenScaled":"Delete"}}}']);
    ok(['scale', 'sts', 'web', '--replicas=1']);
    await eventually(() => podNames() === 'web-0' && claimNames() === 'data-web-0', 'web-1, web-2 and their claims gone', 90_000);
    await eventually(() => doomed.every((d) => !volume(d.pv) && !existsSync(d.dir)), 'their volumes and directories removed', 60_000);
    assert.equal(sh('web-0', 'cat /data/f'), `${content}\n`, "web-0's data untouched");
    assert.equal(sh('web-0', 'hostname').trim(), 'web-0');
  });

  test(
    'a rolling update replaces web-2, web-1, web-0 in that order on the node; deleting the set keeps the claims a new set picks up',
    { timeout: 300_000 },
    async () => {
      ok(['scale', 'sts', 'web', '--replicas=3']);
      await eventually(() => readyPods().length === 3, 'three ready', 120_000);
      const before = new Map(pods().map((p) => [p.metadata!.name!, p.metadata!.uid!]));
      const journal = new PodJournal(client, 'app=web');
      await journal.start();
      try {
        ok(['set', 'env', 'sts/web', 'VERSION=2']);
        const status = await kubectlAsync(env.server, ['rollout', 'status', 'sts/web', '--timeout=150s'], { timeoutMs: 160_000 });
        assert.equal(status.code, 0, status.stderr + status.stdout);
      } finally {
        journal.stop();
      }
      assert.deepEqual(journal.deleting, ['web-2', 'web-1', 'web-0'], 'from the highest ordinal down');
      await eventually(() => readyPods().length === 3 && readyPods().every((p) => before.get(p.metadata!.name!) !== p.metadata!.uid), 'three new pods ready');
      for (const name of ['web-0', 'web-1', 'web-2']) assert.equal(sh(name, 'echo $VERSION').trim(), '2', name);
      assert.match(sh('web-0', 'cat /data/f'), /^written by web-0 /, "web-0's data across the update");

      // whenDeleted Retain (the default): the set and its pods go, the claims stay; a new set of
      // the same name uses them again.
      const claim0 = claims().find((c) => c.metadata!.name === 'data-web-0')!;
      ok(['delete', 'sts', 'web', '--wait=true', '--timeout=60s']);
      await eventually(() => pods().length === 0, 'the pods gone with the set', 60_000);
      assert.equal(claimNames(), 'data-web-0,data-web-1,data-web-2');
      env.apply({ ...statefulSet, spec: { ...statefulSet.spec, replicas: 1 } });
      await eventually(() => readyPods().length === 1, 'web-0 of the new set ready', 90_000);
      assert.equal(claims().find((c) => c.metadata!.name === 'data-web-0')!.metadata!.uid, claim0.metadata!.uid, 'the same claim');
      assert.match(sh('web-0', 'cat /data/f'), /^written by web-0 /, 'the data, through the new set');
    },
  );
});
