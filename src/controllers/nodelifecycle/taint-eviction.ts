// The taint eviction controller, as upstream's (pkg/controller/tainteviction): pods on a node
// with NoExecute taints they don't tolerate are deleted at once; pods tolerating them for
// tolerationSeconds are deleted when that time has passed since the taint was seen; removing the
// taint (or the pod tolerating it forever) cancels a pending deletion. A deletion first gives the
// pod the DisruptionTarget condition (reason DeletionByTaintManager).
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1';
import {
  byNodeName,
  isNotFound,
  NODE_NAME_INDEX,
  resources,
  rfc3339,
  runWorkers,
  sleep,
  WorkQueue,
  type EventRecorder,
  type Informer,
  type RestClient,
} from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';
import { matchingTolerations, minTolerationMs, noExecuteTaints } from './taints.js';

export const DISRUPTION_TARGET_TAINT_MANAGER = {
  type: 'DisruptionTarget',
  status: 'True',
  reason: 'DeletionByTaintManager',
  message: 'Taint manager: deleting due to NoExecute taint',
} as const;

export interface TaintEvictionOptions {
  now?: () => number;
}

/** A pending deletion: when it was planned and when it fires. */
export interface ScheduledEviction {
  createdAt: number;
  fireAt: number;
}

export type EvictionPlan = { action: 'cancel' } | { action: 'keep' } | { action: 'evict'; createdAt: number; fireAt: number; cancelFirst: boolean };

/** Upstream's processPodOnNode: what a pod's tolerations make of its node's NoExecute taints. */
export function planEviction(taints: Taint[], tolerations: Toleration[], now: number, scheduled: ScheduledEviction | undefined): EvictionPlan {
  if (!taints.length) return { action: 'cancel' };
  const { all, used } = matchingTolerations(taints, tolerations);
  if (!all) return { action: 'evict', createdAt: now, fireAt: now, cancelFirst: true };
  const min = minTolerationMs(used);
  if (min < 0) return { action: 'cancel' };
  if (scheduled) {
    // Counted from when the taint was first seen: a plan already made stands.
    if (scheduled.createdAt + min < now + min) return { action: 'keep' };
    return { action: 'evict', createdAt: scheduled.createdAt, fireAt: scheduled.createdAt + min, cancelFirst: true };
  }
  return { action: 'evict', createdAt: now, fireAt: now + min, cancelFirst: false };
}

/**
 * Upstream's TimedWorkerQueue: one timer per key. A key whose work has run stays (as done), so
 * that it isn't planned again until cancelled (the pod went, or its node's taints changed).
 */
export class TimedWorkQueue {
  private readonly work = new Map<string, (ScheduledEviction & { timer: NodeJS.Timeout }) | null>();

  constructor(
    private readonly fn: (key: string, fireAt: number) => Promise<boolean>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The pending work of a key (undefined when none, or already done). */
  get(key: string): ScheduledEviction | undefined {
    const w = this.work.get(key);
    return w ? { createdAt: w.createdAt, fireAt: w.fireAt } : undefined;
  }

  add(key: string, createdAt: number, fireAt: number): void {
    if (this.work.has(key)) return;
    const timer = setTimeout(
      () => {
        void this.fn(key, fireAt).then((ok) => {
          if (this.work.get(key)?.timer !== timer) return;
          if (ok) this.work.set(key, null);
          else this.work.delete(key);
        });
      },
      Math.max(0, fireAt - this.now()),
    );
    this.work.set(key, { createdAt, fireAt, timer });
  }

  /** Forgets the key; true when pending work was cancelled. */
  cancel(key: string): boolean {
    const w = this.work.get(key);
    if (w === undefined) return false;
    this.work.delete(key);
    if (!w) return false;
    clearTimeout(w.timer);
    return true;
  }

  stop(): void {
    for (const w of this.work.values()) if (w) clearTimeout(w.timer);
    this.work.clear();
  }
}

export function newTaintEvictionController(ctx: ControllerContext, opts: TaintEvictionOptions = {}): TaintEvictionController {
  return new TaintEvictionController(ctx, opts);
}

export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;
  private readonly log: (m: string) => void;
  private readonly now: () => number;
  private readonly nodes: Informer<Node>;
  private readonly pods: Informer<Pod>;
  /** Node name → its NoExecute taints (nodes without any are absent). */
  private readonly taintedNodes = new Map<string, Taint[]>();
  private readonly nodeQueue = new WorkQueue<string>({ name: 'noexec_taint_node' });
  private readonly podQueue = new WorkQueue<string>({ name: 'noexec_taint_pod' });
  private readonly evictions: TimedWorkQueue;

  constructor(ctx: ControllerContext, opts: TaintEvictionOptions) {
    this.client = ctx.client;
    this.recorder = ctx.recorder(this.name);
    this.log = (m) => ctx.log(`${this.name}: ${m}`);
    this.now = opts.now ?? Date.now;
    this.evictions = new TimedWorkQueue((key, fireAt) => this.deletePod(key, fireAt), this.now);
    this.nodes = ctx.informers.for<Node>(resources.nodes);
    this.pods = ctx.informers.for<Pod>(resources.pods, { [NODE_NAME_INDEX]: byNodeName });
    this.pods.addEventHandler({
      onAdd: (p) => this.podUpdated(undefined, p),
      onUpdate: (old, p) => this.podUpdated(old, p),
      onDelete: (p) => this.podUpdated(p, undefined),
    });
    this.nodes.addEventHandler({
      onAdd: (n) => this.nodeUpdated(undefined, n),
      onUpdate: (old, n) => this.nodeUpdated(old, n),
      onDelete: (n) => this.nodeUpdated(n, undefined),
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const stop = () => {
      this.nodeQueue.shutDown();
      this.podQueue.shutDown();
      this.evictions.stop();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const onError = (key: string, e: unknown) => this.log(`${key}: ${(e as Error).message}`);
    await Promise.all([
      runWorkers(this.nodeQueue, 1, (name) => this.handleNodeUpdate(name), { onError }),
      runWorkers(this.podQueue, 1, (key) => this.handlePodUpdate(key), { onError }),
    ]);
  }

  private podUpdated(old: Pod | undefined, pod: Pod | undefined): void {
    if (old && pod && old.spec?.nodeName === pod.spec?.nodeName && JSON.stringify(old.spec?.tolerations ?? []) === JSON.stringify(pod.spec?.tolerations ?? []))
      return;
    const p = (pod ?? old)!;
    this.podQueue.add(`${p.metadata!.namespace}/${p.metadata!.name}`);
  }

  private nodeUpdated(old: Node | undefined, node: Node | undefined): void {
    if (old && node && JSON.stringify(noExecuteTaints(old)) === JSON.stringify(noExecuteTaints(node))) return;
    this.nodeQueue.add((node ?? old)!.metadata!.name!);
  }

  private handlePodUpdate(key: string): void {
    const pod = this.pods.getByKey(key);
    if (!pod) {
      this.cancel(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const taints = this.taintedNodes.get(nodeName);
    // Untainted (or gone) nodes cancelled their pods' deletions already.
    if (!taints) return;
    this.processPod(key, pod, taints, this.now());
  }

  private handleNodeUpdate(name: string): void {
    const node = this.nodes.get(undefined, name);
    if (!node) {
      this.taintedNodes.delete(name);
      return;
    }
    const taints = noExecuteTaints(node);
    if (taints.length) this.taintedNodes.set(name, taints);
    else this.taintedNodes.delete(name);
    const pods = this.pods.byIndex(NODE_NAME_INDEX, name);
    if (!taints.length) {
      for (const p of pods) this.cancel(`${p.metadata!.namespace}/${p.metadata!.name}`);
      return;
    }
    const now = this.now();
    for (const p of pods) this.processPod(`${p.metadata!.namespace}/${p.metadata!.name}`, p, taints, now);
  }

  private processPod(key: string, pod: Pod, taints: Taint[], now: number): void {
    const plan = planEviction(taints, pod.spec?.tolerations ?? [], now, this.evictions.get(key));
    switch (plan.action) {
      case 'keep':
        return;
      case 'cancel':
        this.cancel(key);
        return;
      case 'evict':
        if (plan.cancelFirst) this.cancel(key);
        this.evictions.add(key, plan.createdAt, plan.fireAt);
    }
  }

  private cancel(key: string): void {
    if (this.evictions.cancel(key)) this.event(key, `Cancelling deletion of Pod ${key}`);
  }

  private event(key: string, message: string): void {
    const [namespace, name] = key.split('/');
    this.recorder.event({ apiVersion: 'v1', kind: 'Pod', namespace, name }, 'Normal', 'TaintManagerEviction', message);
  }

  /** Marks the pod (DisruptionTarget) and deletes it, retrying a few times as upstream. */
  private async deletePod(key: string, _fireAt: number): Promise<boolean> {
    this.event(key, `Marking for deletion Pod ${key}`);
    const [namespace, name] = key.split('/') as [string, string];
    let last: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.addConditionAndDelete(namespace, name);
        return true;
      } catch (e) {
        if (isNotFound(e)) return true;
        last = e;
        await sleep(10);
      }
    }
    this.log(`deleting pod ${key} failed: ${(last as Error)?.message}`);
    return false;
  }

  private async addConditionAndDelete(namespace: string, name: string): Promise<void> {
    const ref = { ...resources.pods, namespace, name };
    const pod = await this.client.get<Pod>(ref);
    const existing = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
    const want = DISRUPTION_TARGET_TAINT_MANAGER;
    if (!existing || existing.status !== want.status || existing.reason !== want.reason || existing.message !== want.message) {
      const condition = { ...want, lastTransitionTime: existing?.status === want.status ? existing.lastTransitionTime : rfc3339() };
      await this.client.patch({ ...ref, subresource: 'status' }, { metadata: { uid: pod.metadata!.uid }, status: { conditions: [condition] } }, 'strategic');
    }
    await this.client.delete(ref, { preconditions: { uid: pod.metadata!.uid } });
  }
}
