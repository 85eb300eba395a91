// The pod worker's lifecycle over an in-memory runtime: what each state's step does to the
// runtime, the node and the API (the e2e suites run the same on real containerd).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, Service } from 'kubernetes-types/core/v1';
import { NAMESPACE_INDEX, byNamespace, createInformer, resources, type EventRecorder } from '../client/index.js';
import { FakeApi, waitFor } from '../controllers/fake-api.js';
import { Backoff } from '../kubelet/index.js';
import type { ContainerStatus, PodSandbox, Runtime } from '../runtime/index.js';
import { LABEL_POD_UID } from './container-config.js';
import { ImagePuller } from './image-puller.js';
import { ObjectCache } from './object-cache.js';
import { PodWorker, runtimeView } from './pod-worker.js';
import { ServiceEnv } from './service-env.js';
import { ProbeManager } from './probes.js';
import { StartGate } from './start-gate.js';
import { StatusManager } from './status-manager.js';
import { criContainer } from '../kubelet/testing.js';

/** A pod's sandbox and containers, as a runtime that already ran them holds them; records stops and removals. */
function memoryRuntime(uid: string) {
  const labels = { [LABEL_POD_UID]: uid };
  const sandboxes: PodSandbox[] = [
    { id: 'sb1', metadata: { name: 'web', uid, namespace: 'default', attempt: 0 }, state: 'SANDBOX_READY', createdAtMs: 1, labels, annotations: {} },
  ];
  const containers: ContainerStatus[] = [criContainer('app', 'CONTAINER_RUNNING', { labels })];
  const calls: string[] = [];
  const match = (l: Record<string, string>, f?: { labelSelector?: Record<string, string> }) =>
    Object.entries(f?.labelSelector ?? {}).every(([k, v]) => l[k] === v);
  const rt = {
    listPodSandbox: async (f?: { labelSelector?: Record<string, string> }) => sandboxes.filter((s) => match(s.labels, f)).map((s) => ({ ...s })),
    podSandboxStatus: async (id: string) => {
      const s = sandboxes.find((x) => x.id === id);
      return s && { ...s, ips: ['10.42.0.5'] };
    },
    listContainers: async (f?: { labelSelector?: Record<string, string> }) =>
      containers.filter((c) => match(c.labels, f)).map((c) => ({ ...c, podSandboxId: 'sb1' })),
    containerStatus: async (id: string) => containers.find((c) => c.id === id),
    stopContainer: async (id: string, timeout: number) => {
      calls.push(`stopContainer ${id} ${timeout}`);
      const c = containers.find((x) => x.id === id)!;
      Object.assign(c, { state: 'CONTAINER_EXITED', finishedAtMs: Date.now(), exitCode: 137 });
    },
    removeContainer: async (id: string) => {
      calls.push(`removeContainer ${id}`);
      containers.splice(
        containers.findIndex((c) => c.id === id),
        1,
      );
    },
    stopPodSandbox: async (id: string) => {
      calls.push(`stopPodSandbox ${id}`);
      sandboxes.find((s) => s.id === id)!.state = 'SANDBOX_NOTREADY';
    },
    removePodSandbox: async (id: string) => {
      calls.push(`removePodSandbox ${id}`);
      sandboxes.splice(
        sandboxes.findIndex((s) => s.id === id),
        1,
      );
    },
  };
  return { runtime: rt as unknown as Runtime, calls, containers, sandboxes };
}

async function setup(t: { after(fn: () => void): void }, pod: Pod) {
  const api = new FakeApi();
  const created = await api.create<Pod>(resources.pods, pod);
  const uid = created.metadata!.uid!;
  const rt = memoryRuntime(uid);
  const root = mkdtempSync(join(tmpdir(), 'berth-worker-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const logDir = join(root, 'pod-logs', `default_web_${uid}`);
  mkdirSync(logDir, { recursive: true });
  const events: string[] = [];
  let done = false;
  const services = createInformer<Service>(api.client, resources.services, { indexers: { [NAMESPACE_INDEX]: byNamespace } }).start();
  await services.waitForSync();
  const volumeSources = new ObjectCache(api.client, { ttlMs: 1000 });
  t.after(async () => {
    await services.stop();
    await volumeSources.stop();
  });
  const probes = new ProbeManager({ runtime: rt.runtime, onChange: () => {}, onFailure: () => {} });
  const worker = new PodWorker(created, {
    runtime: rt.runtime,
    runtimeName: 'containerd',
    client: api.client,
    recorder: {
      event: (_ref: unknown, type: string, reason: string, message: string) => events.push(`${type} ${reason} ${message}`),
    } as unknown as EventRecorder,
    images: new ImagePuller(rt.runtime),
    probes,
    status: new StatusManager(api.client, () => {}),
    startGate: new StartGate(0),
    restartBackoff: new Backoff(10_000, 300_000),
    hostIPs: () => ['10.0.0.1'],
    logRoot: join(root, 'pod-logs'),
    podsRoot: join(root, 'pods'),
    volumeSources,
    serviceEnv: new ServiceEnv(services),
    cgroupRoot: `/berth-test-${process.pid}`,
    dns: { clusterDns: [], clusterDomain: 'cluster.local', host: { servers: [], searches: [], options: [] } },
    allocatable: { cpuMilli: 1000, memory: 1 << 30 },
    memoryCapacity: 1 << 30,
    log: () => {},
    done: () => (done = true),
  });
  t.after(() => {
    probes.stopAll();
    return worker.stop();
  });
  return { api, rt, worker, events, logDir, root, isDone: () => done, uid };
}

const basePod = (o: { deletionGracePeriodSeconds?: number; phase?: string } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: 'default',
    ...(o.deletionGracePeriodSeconds !== undefined
      ? { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: o.deletionGracePeriodSeconds }
      : {}),
  },
  spec: { nodeName: 'n1', terminationGracePeriodSeconds: 30, containers: [{ name: 'app', image: 'busybox:1' }] },
  ...(o.phase ? { status: { phase: o.phase } } : {}),
});

test('pod worker: a pod being deleted is stopped with its deletion grace, removed from the node, and its object deleted', async (t) => {
  const s = await setup(t, basePod({ deletionGracePeriodSeconds: 7 }));
  s.worker.queue();
  await waitFor(() => s.isDone(), 'the worker finished');
  assert.deepEqual(s.worker.lifecycle, { phase: 'finished' });
  assert.deepEqual(s.rt.calls.slice(0, 2), ['stopContainer app-0 7', 'stopPodSandbox sb1'], 'containers with the deletion grace, then the sandbox');
  assert.ok(s.rt.calls.includes('removeContainer app-0') && s.rt.calls.includes('removePodSandbox sb1'));
  assert.equal(existsSync(s.logDir), false, 'its logs removed');
  assert.match(s.events.join('\n'), /Normal Killing Stopping container app/);
  await assert.rejects(s.api.get({ ...resources.pods, namespace: 'default', name: 'web' }), /not found/);
});

test('pod worker: a pod gone from the API gets a second of grace, and nothing is written to it', async (t) => {
  const s = await setup(t, basePod());
  await s.api.delete({ ...resources.pods, namespace: 'default', name: 'web' });
  const writesBefore = s.api.calls.length;
  s.worker.podDeleted();
  await waitFor(() => s.isDone(), 'the worker finished');
  assert.equal(s.rt.calls[0], 'stopContainer app-0 2', 'a second of grace, raised to the 2 s minimum for SIGTERM');
  assert.deepEqual(s.rt.sandboxes, []);
  assert.deepEqual(s.api.calls.slice(writesBefore), [], 'no status write, no delete');
});

test('pod worker: a pod the API has finished is stopped and kept (containers for their logs) until deleted', async (t) => {
  const s = await setup(t, basePod({ phase: 'Succeeded' }));
  s.worker.queue();
  await waitFor(() => s.rt.calls.includes('stopPodSandbox sb1') || undefined, 'the sandbox stopped');
  assert.deepEqual(s.worker.lifecycle, { phase: 'terminated', reason: 'completed' });
  assert.equal(s.rt.calls[0], 'stopContainer app-0 2');
  assert.equal(s.rt.containers.length, 1, 'the exited container stays');
  assert.equal(s.isDone(), false);
  // Then deleted: it is removed and its object deleted.
  const pod = await s.api.get<Pod>({ ...resources.pods, namespace: 'default', name: 'web' });
  s.worker.update({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 30 } });
  await waitFor(() => s.isDone(), 'the worker finished');
  assert.deepEqual(s.rt.containers, []);
  assert.deepEqual(s.worker.lifecycle, { phase: 'finished' });
});

test("pod worker: a probe failure kills with the probe's own grace period and says which probe", async (t) => {
  const pod = basePod();
  pod.spec!.containers[0]!.livenessProbe = { exec: { command: ['false'] }, terminationGracePeriodSeconds: 4, periodSeconds: 3600, initialDelaySeconds: 3600 };
  const s = await setup(t, pod);
  s.worker.killForProbe('app-0', 'liveness');
  await waitFor(() => s.rt.calls.find((c) => c.startsWith('stopContainer')), 'the container killed');
  assert.equal(
    s.rt.calls.find((c) => c.startsWith('stopContainer')),
    'stopContainer app-0 4',
  );
  assert.match(s.events.join('\n'), /Normal Killing Container app failed liveness probe, will be restarted/);
  assert.deepEqual(s.worker.lifecycle, { phase: 'syncing' });
});

test("pod worker: a pass that changes nothing lists the pod's containers and sandboxes once, and knows the runtime as it left it", async (t) => {
  const s = await setup(t, basePod());
  let lists = 0;
  let sandboxLists = 0;
  const list = s.rt.runtime.listContainers.bind(s.rt.runtime);
  s.rt.runtime.listContainers = (f) => {
    lists++;
    return list(f);
  };
  const listSandboxes = s.rt.runtime.listPodSandbox.bind(s.rt.runtime);
  s.rt.runtime.listPodSandbox = (f) => {
    sandboxLists++;
    return listSandboxes(f);
  };
  const view = () => runtimeView(s.rt.containers, s.rt.sandboxes);
  assert.equal(s.worker.sawRuntime(view()), false, 'nothing known before a pass');
  s.worker.queue();
  await waitFor(() => s.worker.sawRuntime(view()) || undefined, 'the pass ended with the runtime as it is');
  const pod = await s.api.get<Pod>({ ...resources.pods, namespace: 'default', name: 'web' });
  assert.equal(pod.status?.phase, 'Running');
  assert.equal(lists, 1, 'no second list: the pass started and killed nothing');
  assert.equal(sandboxLists, 1, 'the garbage removal reuses the sandboxes the pass found');
  // The relist finds the container exited, or a container the pass did not see: news for the worker.
  s.rt.containers[0]!.state = 'CONTAINER_EXITED';
  assert.equal(s.worker.sawRuntime(view()), false);
  s.rt.containers[0]!.state = 'CONTAINER_RUNNING';
  assert.equal(s.worker.sawRuntime(view()), true);
  assert.equal(s.worker.sawRuntime(new Map([...view(), ['other', 'CONTAINER_CREATED']])), false);
});

test('pod worker: while a pod starts, its own new sandbox is no news to it, anything else is', async (t) => {
  const s = await setup(t, basePod());
  // An empty runtime that makes what it is asked to; CreateContainer waits until let go.
  s.rt.sandboxes.length = 0;
  s.rt.containers.length = 0;
  let letGo!: () => void;
  const creating = new Promise<void>((r) => (letGo = r));
  let inCreate!: () => void;
  const reachedCreate = new Promise<void>((r) => (inCreate = r));
  const rt = s.rt.runtime as unknown as Record<string, unknown>;
  rt.runPodSandbox = async (config: { metadata: PodSandbox['metadata']; labels: Record<string, string> }) => {
    s.rt.sandboxes.push({ id: 'sb2', metadata: config.metadata, state: 'SANDBOX_READY', createdAtMs: 2, labels: config.labels, annotations: {} });
    return 'sb2';
  };
  rt.imageStatus = async () => ({ id: 'sha256:aaa', repoTags: ['busybox:1'], repoDigests: [], size: 1 });
  rt.createContainer = async (_sb: string, config: { labels: Record<string, string> }) => {
    inCreate();
    await creating;
    s.rt.containers.push(criContainer('app', 'CONTAINER_CREATED', { labels: config.labels }));
    return 'app-0';
  };
  rt.startContainer = async (id: string) => {
    s.rt.containers.find((c) => c.id === id)!.state = 'CONTAINER_RUNNING';
  };
  s.worker.queue();
  await reachedCreate;
  const view = () => runtimeView(s.rt.containers, s.rt.sandboxes);
  assert.equal(s.worker.sawRuntime(view()), true, 'the sandbox the pass made, ready');
  s.rt.sandboxes[0]!.state = 'SANDBOX_NOTREADY';
  assert.equal(s.worker.sawRuntime(view()), false, 'the sandbox it made died');
  s.rt.sandboxes[0]!.state = 'SANDBOX_READY';
  assert.equal(s.worker.sawRuntime(new Map([...view(), ['someone-elses', 'CONTAINER_RUNNING']])), false, 'a container it did not make');
  letGo();
  await waitFor(
    async () => (await s.api.get<Pod>({ ...resources.pods, namespace: 'default', name: 'web' })).status?.phase === 'Running' || undefined,
    'the pod reported Running',
  );
  await waitFor(() => s.worker.sawRuntime(view()) || undefined, 'the pass ended with the runtime as it is');
  s.rt.containers[0]!.state = 'CONTAINER_EXITED';
  assert.equal(s.worker.sawRuntime(view()), false, 'its container exited after the pass');
});

test("pod worker: a pass starting a pod's containers sets its volumes up once for all of them, and does not refresh them after", async (t) => {
  const pod = basePod();
  pod.spec!.containers.push({ name: 'side', image: 'busybox:1' });
  pod.spec!.volumes = [{ name: 'cfg', configMap: { name: 'cfg' } }];
  pod.spec!.containers[0]!.volumeMounts = [{ name: 'cfg', mountPath: '/cfg' }];
  const s = await setup(t, pod);
  await s.api.create(resources.configmaps, { metadata: { namespace: 'default', name: 'cfg' }, data: { a: '1' } });
  // No pod registered with the object cache: each set-up reads the ConfigMap by GET, counted here.
  let reads = 0;
  const get = s.api.get.bind(s.api);
  s.api.get = (async (ref: { resource: string; name: string }) => {
    if (ref.resource === 'configmaps') reads++;
    return get(ref as never);
  }) as typeof s.api.get;
  s.rt.sandboxes.length = 0;
  s.rt.containers.length = 0;
  const rt = s.rt.runtime as unknown as Record<string, unknown>;
  let sandboxLists = 0;
  const listSandboxes = s.rt.runtime.listPodSandbox.bind(s.rt.runtime);
  s.rt.runtime.listPodSandbox = (f) => {
    sandboxLists++;
    return listSandboxes(f);
  };
  let containerLists = 0;
  const listContainers = s.rt.runtime.listContainers.bind(s.rt.runtime);
  s.rt.runtime.listContainers = (f) => {
    containerLists++;
    return listContainers(f);
  };
  rt.runPodSandbox = async (config: { metadata: PodSandbox['metadata']; labels: Record<string, string> }) => {
    s.rt.sandboxes.push({ id: 'sb2', metadata: config.metadata, state: 'SANDBOX_READY', createdAtMs: 2, labels: config.labels, annotations: {} });
    return 'sb2';
  };
  rt.imageStatus = async () => ({ id: 'sha256:aaa', repoTags: ['busybox:1'], repoDigests: [], size: 1 });
  rt.createContainer = async (_sb: string, config: { metadata: { name: string }; labels: Record<string, string> }) => {
    const c = criContainer(config.metadata.name, 'CONTAINER_CREATED', { labels: config.labels });
    s.rt.containers.push(c);
    return c.id;
  };
  rt.startContainer = async (id: string) => {
    s.rt.containers.find((c) => c.id === id)!.state = 'CONTAINER_RUNNING';
  };
  s.worker.queue();
  await waitFor(
    async () => (await s.api.get<Pod>({ ...resources.pods, namespace: 'default', name: 'web' })).status?.phase === 'Running' || undefined,
    'the pod reported Running',
  );
  await waitFor(() => s.worker.sawRuntime(runtimeView(s.rt.containers, s.rt.sandboxes)) || undefined, 'the pass ended');
  assert.equal(s.rt.containers.length, 2, 'both containers started');
  assert.equal(reads, 1, 'one set-up of the volumes for the two containers, no refresh in the same pass');
  assert.equal(sandboxLists, 1, 'the sandboxes listed once: the new one is known without a second list');
  assert.equal(containerLists, 1, 'the containers listed once: those the pass made are read by their ids');
  assert.equal(readFileSync(join(s.root, 'pods', s.uid, 'volumes', 'kubernetes.io~configmap', 'cfg', 'a'), 'utf8'), '1');
});
