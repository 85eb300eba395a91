// Persistent volumes on a real node (agent-fixture.ts: berth server + an agent on its own
// containerd): the default local-path class, a claim bound on its first pod's node by the
// agent's provisioner, data written by one pod read by the next through the same claim, the
// claim protected while a pod uses it, and reclaim Delete removing the volume and its directory.
// kubectl prints sc, pvc and pv as upstream.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import { eventually, kubectl, kubectlOk, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent storage e2e test');

describe('persistent volumes on the node agent', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  const getJson = <T>(args: string[]): T | undefined => {
    const r = kubectl(env.server, ['get', ...args, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined;
  };
  const claim = () => getJson<PersistentVolumeClaim>(['pvc', 'data']);
  const running = (name: string) => eventually(() => (env.getPod(name).status?.phase === 'Running' ? true : undefined), `pod ${name} Running`, 60_000);
  const pod = (name: string, script: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    },
  });

  before(async () => {
    env = await startAgentEnv();
  });
  after(async () => {
    await env?.stop();
  });

  test('local-path is the default class, printed as upstream', () => {
    const out = kubectlOk(env.server, ['get', 'sc']);
    const [header, row] = out.trim().split('\n');
    assert.match(header!, /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/);
    assert.match(row!, /^local-path \(default\)\s+berth\.dev\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\d+[smh]/);
  });

  test('a claim waits for its first pod; the pod writes, a second pod reads the same data; in use the claim is kept; then Delete removes volume and directory', async () => {
    env.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
    });
    const pending = claim()!;
    assert.equal(pending.spec?.storageClassName, 'local-path', 'DefaultStorageClass filled in the class');
    assert.deepEqual(pending.metadata?.finalizers, ['kubernetes.io/pvc-protection']);
    await eventually(
      () =>
        kubectlOk(env.server, ['get', 'events', '--field-selector', 'involvedObject.name=data']).includes(
          'waiting for first consumer to be created before binding',
        ),
      'the WaitForFirstConsumer event',
    );
    assert.equal(claim()?.status?.phase, 'Pending');

    env.apply(pod('writer', 'echo persisted > /data/f && exec sleep 3600'));
    await running('writer');
    const bound = await eventually(() => (claim()?.status?.phase === 'Bound' ? claim() : undefined), 'claim Bound');
    const pvName = bound!.spec!.volumeName!;
    assert.equal(pvName, `pvc-${bound!.metadata!.uid}`);
    assert.equal(bound!.metadata?.annotations?.['volume.kubernetes.io/selected-node'], env.nodeName);
    const pv = getJson<PersistentVolume>(['pv', pvName])!;
    const dir = join(env.agentDir, 'storage', `pvc-${bound!.metadata!.uid}_default_data`);
    assert.equal(pv.spec?.hostPath?.path, dir);
    assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values, [env.nodeName]);
    assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(pv.metadata?.finalizers, ['kubernetes.io/pv-protection']);
    await eventually(() => existsSync(join(dir, 'f')), 'the file on the host');
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'persisted\n');

    // kubectl's tables, as upstream prints them.
    const pvc = kubectlOk(env.server, ['get', 'pvc', 'data']).trim().split('\n');
    assert.match(pvc[0]!, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/);
    assert.match(pvc[1]!, new RegExp(`^data\\s+Bound\\s+${pvName}\\s+64Mi\\s+RWO\\s+local-path\\s+<unset>\\s+\\d+[smh]`));
    const pvs = kubectlOk(env.server, ['get', 'pv']).trim().split('\n');
    assert.match(pvs[0]!, /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$/);
    assert.match(pvs[1]!, new RegExp(`^${pvName}\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+local-path\\s+<unset>\\s+\\d+[smh]`));

    kubectlOk(env.server, ['delete', 'pod', 'writer', '--wait=true', '--timeout=60s']);
    env.apply(pod('reader', 'cat /data/f; exec sleep 3600'));
    await running('reader');
    await eventually(() => env.podLog('reader', 'c').includes('persisted'), 'the second pod read what the first wrote', 20_000);

    // In use: the delete marks the claim, the finalizer keeps it (and its volume) while reader runs.
    kubectlOk(env.server, ['delete', 'pvc', 'data', '--wait=false']);
    await new Promise((r) => setTimeout(r, 1500));
    const held = claim();
    assert.ok(held?.metadata?.deletionTimestamp, 'marked for deletion');
    assert.deepEqual(held?.metadata?.finalizers, ['kubernetes.io/pvc-protection']);
    assert.match(kubectlOk(env.server, ['get', 'pvc', 'data', '--no-headers']), /^data\s+Terminating\s/);
    assert.ok(existsSync(join(dir, 'f')), 'the data is still there');

    kubectlOk(env.server, ['delete', 'pod', 'reader', '--wait=true', '--timeout=60s']);
    await eventually(() => (claim() === undefined ? true : undefined), 'the claim gone once its pod is', 30_000);
    await eventually(() => (getJson(['pv', pvName]) === undefined ? true : undefined), 'the volume deleted (reclaim Delete)', 30_000);
    assert.equal(existsSync(dir), false, 'the directory removed by the agent');
  });

  test('a pod on its node waits in ContainerCreating for its claim; a static hostPath volume binds, and under Retain outlives the claim', async () => {
    const hostDir = join(env.dir, 'static-volume');
    mkdirSync(hostDir);
    env.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'static-pv' },
      spec: {
        capacity: { storage: '100Mi' },
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'manual',
        persistentVolumeReclaimPolicy: 'Retain',
        hostPath: { path: hostDir },
      },
    });
    await eventually(() => getJson<PersistentVolume>(['pv', 'static-pv'])?.status?.phase === 'Available' || undefined, 'the volume Available');
    // Placed on the node directly (no scheduler): the agent finds no claim and waits.
    env.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pinned' },
      spec: {
        nodeName: env.nodeName,
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'manual-claim' } }],
        containers: [
          {
            name: 'c',
            image: BUSYBOX,
            command: ['sh', '-c', 'echo static > /data/g && exec sleep 3600'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
      },
    });
    await eventually(() => {
      const list = getJson<{ items: Event[] }>(['events', '--field-selector', 'involvedObject.name=pinned']);
      return list?.items.some((e) => e.reason === 'FailedMount' && e.message?.includes('persistentvolumeclaim "manual-claim" not found')) || undefined;
    }, 'the FailedMount event');
    const waiting = env.getPod('pinned').status?.containerStatuses?.[0]?.state?.waiting;
    assert.equal(waiting?.reason, 'ContainerCreating');
    env.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'manual-claim' },
      spec: { storageClassName: 'manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Mi' } } },
    });
    await running('pinned');
    await eventually(() => existsSync(join(hostDir, 'g')) || undefined, 'written through the static volume');
    assert.equal(getJson<PersistentVolumeClaim>(['pvc', 'manual-claim'])?.spec?.volumeName, 'static-pv');
    assert.deepEqual(getJson<PersistentVolumeClaim>(['pvc', 'manual-claim'])?.status?.capacity, { storage: '100Mi' }, "the claim shows the volume's capacity");
    kubectlOk(env.server, ['delete', 'pod', 'pinned', '--wait=true', '--timeout=60s']);
    kubectlOk(env.server, ['delete', 'pvc', 'manual-claim', '--wait=true', '--timeout=60s']);
    await eventually(() => getJson<PersistentVolume>(['pv', 'static-pv'])?.status?.phase === 'Released' || undefined, 'Retain: the volume Released');
    assert.match(
      kubectlOk(env.server, ['get', 'pv', 'static-pv', '--no-headers']),
      /^static-pv\s+100Mi\s+RWO\s+Retain\s+Released\s+default\/manual-claim\s+manual\s/,
    );
    assert.equal(readFileSync(join(hostDir, 'g'), 'utf8'), 'static\n', 'the data kept');
  });
});
