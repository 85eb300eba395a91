// The pods of the simulated nodes: one informer over every bound pod, a work queue keyed by
// pod, and a few workers (not a worker per pod: 150 000 pods stay cheap). Each pod moves through
// the kubelet core's lifecycle (src/kubelet/pod-worker-state.ts, the agent's too): while syncing, a
// worker computes its status now (pod-lifecycle), writes it when it changed, and queues the pod
// again for when it next changes by itself; a pod that completed gives back its address; a pod
// being deleted is stopped (its containers exit), then deleted with grace period 0 and its uid as
// precondition (the kubelet's final delete). A hostNetwork pod has the node's own address.
import type { Pod } from 'kubernetes-types/core/v1';
import {
  ItemExponentialFailureRateLimiter,
  WorkQueue,
  createInformer,
  isConflict,
  isNotFound,
  metaNamespaceKey,
  resources,
  runWorkers,
  type Informer,
  type RestClient,
} from '../client/index.js';
import { SYNCING, podWorkerTransition, type PodWorkerEvent, type PodWorkerState } from '../kubelet/index.js';
import type { SimNode } from './node-plan.js';
import { TimeMemo, nextPodStatus, stoppedPodStatus, type LifecycleOptions, type PodEnv } from './pod-lifecycle.js';
import { sameStatus } from './same-status.js';

export interface PodWorkerOptions {
  lifecycle: LifecycleOptions;
  workers: number;
  log: (msg: string) => void;
}

/** What the simulator holds per pod: which pod (uid), its address, exact transition times. */
interface PodRecord {
  uid: string;
  /** Where the pod is in its lifecycle; changed only through podWorkerTransition. */
  state: PodWorkerState;
  node: SimNode;
  ip?: string;
  /** The address is held from the node's pool (not yet given back; not the node's own for hostNetwork). */
  pooled?: boolean;
  /** Only while the pod still changes by itself; dropped once it is steady, to keep 150 000 pods small. */
  memo?: TimeMemo;
  noAddressLogged?: boolean;
}

/** How soon a pod that found no free address on its node tries again. */
const NO_ADDRESS_RETRY_MS = 5000;

export class PodWorker {
  readonly informer: Informer<Pod>;
  private readonly queue: WorkQueue<string>;
  private readonly records = new Map<string, PodRecord>();
  /** Pods this worker deleted whose DELETED event has not come yet (key → uid): nothing more to do. */
  private readonly deleted = new Map<string, string>();
  private running?: Promise<void>;
  private writes = 0;
  private deletes = 0;

  constructor(
    private readonly client: RestClient,
    private readonly nodes: ReadonlyMap<string, SimNode>,
    private readonly opts: PodWorkerOptions,
  ) {
    // Bound pods only: the scheduler's pending pods are not ours to hold in memory.
    this.informer = createInformer<Pod>(client, resources.pods, { fieldSelector: 'spec.nodeName!=', pageSize: 1000, name: 'sim pods', log: opts.log });
    // Conflicts are retried soon (the informer brings the newer copy); no overall rate limit.
    this.queue = new WorkQueue<string>({ name: 'sim pods', rateLimiter: new ItemExponentialFailureRateLimiter<string>(5, 30_000) });
    this.informer.addEventHandler({
      onAdd: (p) => this.observe(p),
      onUpdate: (old, p) => {
        if (old.metadata?.resourceVersion !== p.metadata?.resourceVersion) this.observe(p);
      },
      onDelete: (p) => {
        const key = metaNamespaceKey(p);
        this.forget(key, p.metadata?.uid);
        this.deleted.delete(key);
      },
    });
  }

  /** Lists and watches pods; workers start once the list is in (its addresses all taken). */
  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
    this.running = runWorkers(this.queue, this.opts.workers, (key) => this.sync(key), {
      // A conflict or a pod gone meanwhile is retried (or found gone) without noise.
      onError: (key, e) => {
        if (!isConflict(e) && !isNotFound(e)) this.opts.log(`pod ${key}: ${(e as Error).message}`);
      },
    });
  }

  async stop(): Promise<void> {
    await this.informer.stop();
    await this.queue.shutDownWithDrain();
    await this.running;
  }

  /** The pod, if it is bound to one of these nodes. */
  pod(namespace: string, name: string): Pod | undefined {
    const p = this.informer.get(namespace, name);
    return p && this.nodes.has(p.spec?.nodeName ?? '') ? p : undefined;
  }

  /** Calls fn with each newer copy of the pod (undefined once it is deleted); returns the unsubscribe. */
  watchPod(namespace: string, name: string, fn: (pod: Pod | undefined) => void): () => void {
    const key = `${namespace}/${name}`;
    return this.informer.addEventHandler({
      onUpdate: (_old, p) => {
        if (metaNamespaceKey(p) === key) fn(p);
      },
      onDelete: (p) => {
        if (metaNamespaceKey(p) === key) fn(undefined);
      },
    });
  }

  stats(): { pods: number; statusWrites: number; deletes: number; queued: number } {
    return { pods: this.records.size, statusWrites: this.writes, deletes: this.deletes, queued: this.queue.len() };
  }

  private observe(p: Pod): void {
    const node = this.nodes.get(p.spec?.nodeName ?? '');
    if (!node) return;
    const key = metaNamespaceKey(p);
    this.record(key, p, node);
    this.queue.add(key);
  }

  /**
   * The pod's record, made when first seen. A pod seen with an address already (this simulator
   * restarted) keeps it: it is taken from the pool before any new pod is given one.
   */
  private record(key: string, p: Pod, node: SimNode): PodRecord {
    const uid = p.metadata?.uid ?? '';
    let rec = this.records.get(key);
    if (rec && rec.uid === uid) return rec;
    if (rec) this.forget(key, rec.uid);
    rec = { uid, state: SYNCING, node };
    const phase = p.status?.phase;
    const ip = p.status?.podIP;
    if (p.spec?.hostNetwork) rec.ip = node.internalIP;
    else if (ip && phase !== 'Succeeded' && phase !== 'Failed' && node.podIPs.occupy(ip)) {
      rec.ip = ip;
      rec.pooled = true;
    }
    this.records.set(key, rec);
    return rec;
  }

  private forget(key: string, uid: string | undefined): void {
    const rec = this.records.get(key);
    if (!rec || (uid && rec.uid !== uid)) return;
    if (rec.ip && rec.pooled) rec.node.podIPs.release(rec.ip);
    this.records.delete(key);
  }

  private async sync(key: string): Promise<void> {
    const pod = this.informer.getByKey(key);
    if (!pod) return this.forget(key, undefined);
    const node = this.nodes.get(pod.spec?.nodeName ?? '');
    if (!node || this.deleted.get(key) === pod.metadata?.uid) return;
    const rec = this.record(key, pod, node);
    // What the pod object says, as the agent's worker observes it; then each state's step, and
    // the step of each state a step moves it to (a deleted pod is stopped, then deleted, at once).
    if (pod.metadata?.deletionTimestamp) transition(rec, 'deletionRequested');
    else if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') transition(rec, 'phaseTerminal');
    let before: PodWorkerState;
    do {
      before = rec.state;
      await this.step(key, pod, rec);
    } while (rec.state !== before && rec.state.phase !== 'finished');
  }

  private async step(key: string, pod: Pod, rec: PodRecord): Promise<void> {
    const s = rec.state;
    switch (s.phase) {
      case 'syncing':
        return this.syncPod(key, pod, rec);
      case 'terminating':
        // Nothing runs in a simulated container: a deleted pod's final status says they exited.
        if (s.reason === 'deleted') await this.writeStoppedStatus(pod, rec);
        this.release(rec);
        return transition(rec, 'stopped');
      case 'terminated':
        this.release(rec);
        if (s.reason === 'completed') return;
        if (s.reason === 'deleted') await this.deletePodObject(key, pod, rec);
        transition(rec, 'cleanedUp');
        return this.forget(key, rec.uid);
      case 'finished':
        return;
    }
  }

  /** Drives a running pod: its status now, written when it changed, and when to look again. */
  private async syncPod(key: string, pod: Pod, rec: PodRecord): Promise<void> {
    const node = rec.node;
    if (!rec.ip) {
      rec.ip = node.podIPs.allocate();
      rec.pooled = rec.ip !== undefined;
      if (!rec.ip && !rec.noAddressLogged) {
        rec.noAddressLogged = true;
        this.opts.log(`pod ${key}: no free address left in ${node.podCIDR} on ${node.name}; it waits in ContainerCreating`);
      }
    }
    rec.memo ??= new TimeMemo();
    const env: PodEnv = { now: Date.now(), hostIP: node.internalIP, podIP: rec.ip, memo: rec.memo };
    const step = nextPodStatus(pod, env, this.opts.lifecycle);
    if (!sameStatus(pod.status, step.status)) {
      // The written pod comes back through the watch; the answer is not read.
      await this.client.updateStatus(resources.pods, { ...pod, status: step.status }, { discardAnswer: true });
      this.writes++;
    }
    // Its containers are done for good: the status written says so; nothing is left to stop.
    if (step.terminal) return transition(rec, 'allExited');
    if (step.wakeAt !== undefined) this.queue.addAfter(key, step.wakeAt - Date.now());
    else if (!rec.ip) this.queue.addAfter(key, NO_ADDRESS_RETRY_MS);
    else rec.memo = undefined;
  }

  /** A pod being deleted: its containers stopped, in one status write (none when it had ended). */
  private async writeStoppedStatus(pod: Pod, rec: PodRecord): Promise<void> {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const env: PodEnv = { now: Date.now(), hostIP: rec.node.internalIP, podIP: rec.ip, memo: rec.memo ?? new TimeMemo() };
    await this.client.updateStatus(resources.pods, { ...pod, status: stoppedPodStatus(pod, env, this.opts.lifecycle) }, { discardAnswer: true });
    this.writes++;
  }

  /** The kubelet's final delete: grace period 0, only this pod (a new one of its name is not touched). */
  private async deletePodObject(key: string, pod: Pod, rec: PodRecord): Promise<void> {
    try {
      await this.client.delete(
        { ...resources.pods, namespace: pod.metadata!.namespace!, name: pod.metadata!.name! },
        { gracePeriodSeconds: 0, preconditions: { uid: rec.uid } },
      );
      this.deletes++;
      if (this.informer.getByKey(key)?.metadata?.uid === rec.uid) this.deleted.set(key, rec.uid);
    } catch (e) {
      // Already gone, or a new pod of the same name: either way this one is done.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  private release(rec: PodRecord): void {
    if (rec.ip && rec.pooled) {
      rec.node.podIPs.release(rec.ip);
      rec.pooled = false;
    }
    rec.memo = undefined;
  }
}

function transition(rec: PodRecord, e: PodWorkerEvent): void {
  rec.state = podWorkerTransition(rec.state, e);
}
