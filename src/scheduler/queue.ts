// The scheduling queue, as upstream's PriorityQueue: activeQ (ordered by the QueueSort plugin),
// backoffQ (pods waiting out 1 s doubling to 10 s after a failed attempt) and the unschedulable
// pods, which only a cluster event that could help them (as the rejecting plugins registered)
// moves back — or the periodic flush after 5 minutes.
import type { Pod } from 'kubernetes-types/core/v1';
import { newPodInfo, podKey, type PodInfo } from './framework/pod-info.js';
import type { ActionType, ClusterEvent, ClusterEventWithHint, EventObject, QueuedPodInfo } from './framework/types.js';
import { QueueingHint } from './framework/types.js';
import type { Framework } from './framework/runtime.js';

export const INITIAL_BACKOFF_MS = 1000;
export const MAX_BACKOFF_MS = 10_000;
export const MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;

class Heap<T> {
  private items: T[] = [];
  private readonly index = new Map<string, number>();
  constructor(
    private readonly less: (a: T, b: T) => boolean,
    private readonly keyOf: (t: T) => string,
  ) {}

  get size(): number {
    return this.items.length;
  }
  has(key: string): boolean {
    return this.index.has(key);
  }
  get(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i];
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(t: T): void {
    const key = this.keyOf(t);
    const at = this.index.get(key);
    if (at !== undefined) {
      this.items[at] = t;
      this.fix(at);
      return;
    }
    this.items.push(t);
    this.index.set(key, this.items.length - 1);
    this.up(this.items.length - 1);
  }
  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    const top = this.items[0]!;
    this.removeAt(0);
    return top;
  }
  delete(key: string): T | undefined {
    const i = this.index.get(key);
    if (i === undefined) return undefined;
    const t = this.items[i]!;
    this.removeAt(i);
    return t;
  }
  values(): T[] {
    return [...this.items];
  }
  private removeAt(i: number): void {
    const last = this.items.pop()!;
    this.index.delete(this.keyOf(i < this.items.length ? this.items[i]! : last));
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(this.keyOf(last), i);
      this.fix(i);
    }
  }
  private fix(i: number): void {
    this.up(i);
    this.down(i);
  }
  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    this.index.set(this.keyOf(b), i);
    this.index.set(this.keyOf(a), j);
  }
  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.items[i]!, this.items[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }
  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.items[l]!, this.items[m]!)) m = l;
      if (r < n && this.less(this.items[r]!, this.items[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}

const NONE: PodInfo[] = [];
const keyOfQueued = (q: QueuedPodInfo) => q.podInfo.key;

/** An event happening in the cluster, as the queue classifies it. */
export interface ObservedEvent {
  resource: ClusterEvent['resource'];
  action: ActionType;
}

function eventMatches(registered: ClusterEvent, e: ObservedEvent): boolean {
  if (registered.resource !== '*' && registered.resource !== e.resource) {
    // AssignedPod and UnscheduledPod events are Pod events too.
    if (!(registered.resource === 'Pod' && (e.resource === 'AssignedPod' || e.resource === 'UnscheduledPod'))) return false;
  }
  return registered.actions.some((a) => a === 'All' || a === e.action || (a === 'Update' && e.action.startsWith('Update')));
}

export class SchedulingQueue {
  private readonly activeQ: Heap<QueuedPodInfo>;
  private readonly backoffQ: Heap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods popped and being scheduled: an event meanwhile sends them to backoff, not to unschedulable. */
  private readonly inFlight = new Map<string, number>();
  private schedulingCycle = 0;
  private moveRequestCycle = -1;
  private waiters: Array<(q: QueuedPodInfo | undefined) => void> = [];
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly events: Map<string, ClusterEventWithHint[]>;
  /** Nominated pods by node (preemption), and node by pod key. */
  private readonly nominatedByNode = new Map<string, Map<string, PodInfo>>();
  private readonly nominatedNodeOf = new Map<string, string>();

  constructor(
    private readonly fwkFor: (pod: Pod) => Framework | undefined,
    frameworks: Framework[],
    private readonly now: () => number = Date.now,
  ) {
    const fwk = frameworks[0]!;
    this.activeQ = new Heap((a, b) => fwk.queueSortLess(a, b), keyOfQueued);
    this.backoffQ = new Heap((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b), keyOfQueued);
    this.events = new Map();
    for (const f of frameworks) for (const [plugin, evs] of f.eventsToRegister()) this.events.set(plugin, [...(this.events.get(plugin) ?? []), ...evs]);
  }

  /** Starts the periodic flushes (backoff completed every second, long-unschedulable every 30 s). */
  run(): void {
    this.timers.push(setInterval(() => this.flushBackoffCompleted(), 1000).unref());
    this.timers.push(setInterval(() => this.flushUnschedulableLeftover(), 30_000).unref());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }

  /**
   * Pending pods by queue, as scheduler_pending_pods counts them: gated pods wait among the
   * unschedulable ones but were never attempted (gates are only ever removed), so they are the
   * ones with no attempt yet.
   */
  get counts(): { active: number; backoff: number; unschedulable: number; gated: number } {
    let gated = 0;
    for (const q of this.unschedulable.values()) if (q.attempts === 0) gated++;
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size - gated, gated };
  }

  add(pod: Pod): void {
    const key = podKey(pod);
    if (this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key) || this.inFlight.has(key)) {
      this.update(pod);
      return;
    }
    const t = this.now();
    const q: QueuedPodInfo = { podInfo: newPodInfo(pod), initialAttemptTimestamp: t, timestamp: t, attempts: 0, unschedulablePlugins: new Set() };
    this.addToActiveOrGated(q);
    this.updateNomination(pod);
  }

  private addToActiveOrGated(q: QueuedPodInfo): void {
    const status = this.fwkFor(q.podInfo.pod)?.runPreEnqueue(q.podInfo.pod);
    if (status && !status.isSuccess()) {
      // Gated pods wait with the unschedulable ones until an update lifts the gate.
      q.unschedulablePlugins = new Set([status.plugin]);
      this.unschedulable.set(q.podInfo.key, q);
      return;
    }
    this.pushActive(q);
  }

  private pushActive(q: QueuedPodInfo): void {
    const w = this.waiters.shift();
    if (w) {
      this.markInFlight(q);
      w(q);
    } else this.activeQ.push(q);
  }

  private markInFlight(q: QueuedPodInfo): void {
    q.attempts++;
    this.schedulingCycle++;
    this.inFlight.set(q.podInfo.key, this.schedulingCycle);
  }

  /** The next pod to schedule; waits while activeQ is empty; undefined once closed. */
  pop(): Promise<QueuedPodInfo | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const q = this.activeQ.pop();
    if (q) {
      this.markInFlight(q);
      return Promise.resolve(q);
    }
    return new Promise((res) => this.waiters.push(res));
  }

  /** The scheduling attempt of a popped pod ended (bound or given back). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * Gives back a pod whose attempt failed. Rejected by plugins: waits for an event that could
   * help (unless one already came during the attempt); failed by an error: backs off.
   */
  addUnschedulable(q: QueuedPodInfo, rejectedBy: Set<string>, error = false): void {
    const key = q.podInfo.key;
    const cycle = this.inFlight.get(key) ?? this.schedulingCycle;
    this.inFlight.delete(key);
    q.timestamp = this.now();
    q.unschedulablePlugins = rejectedBy;
    if (error || this.moveRequestCycle >= cycle) this.backoffQ.push(q);
    else this.unschedulable.set(key, q);
  }

  update(pod: Pod): void {
    const key = podKey(pod);
    this.updateNomination(pod);
    for (const heap of [this.activeQ, this.backoffQ]) {
      const q = heap.get(key);
      if (q) {
        q.podInfo = newPodInfo(pod);
        heap.push(q);
        return;
      }
    }
    const q = this.unschedulable.get(key);
    if (q) {
      const specChanged =
        JSON.stringify(q.podInfo.pod.spec) !== JSON.stringify(pod.spec) ||
        JSON.stringify(q.podInfo.pod.metadata?.labels) !== JSON.stringify(pod.metadata?.labels);
      q.podInfo = newPodInfo(pod);
      if (specChanged) {
        // A changed pod may fit now (e.g. gates lifted, requests lowered): try it again.
        this.unschedulable.delete(key);
        if (this.isBackingOff(q)) this.backoffQ.push(q);
        else this.addToActiveOrGated(q);
      }
    }
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    this.deleteNomination(key);
  }

  /** A cluster event happened: move the unschedulable pods it could help. */
  moveOnEvent(e: ObservedEvent, oldObj?: EventObject, newObj?: EventObject): void {
    this.moveRequestCycle = this.schedulingCycle;
    for (const [key, q] of this.unschedulable) {
      if (!this.eventMayHelp(q, e, oldObj, newObj)) continue;
      this.unschedulable.delete(key);
      if (this.isBackingOff(q)) this.backoffQ.push(q);
      else this.addToActiveOrGated(q);
    }
  }

  private eventMayHelp(q: QueuedPodInfo, e: ObservedEvent, oldObj?: EventObject, newObj?: EventObject): boolean {
    // Without knowing who rejected it (e.g. an error), any event may help.
    if (q.unschedulablePlugins.size === 0) return true;
    for (const plugin of q.unschedulablePlugins) {
      for (const reg of this.events.get(plugin) ?? []) {
        if (!eventMatches(reg.event, e)) continue;
        if (!reg.hint || reg.hint(q.podInfo.pod, oldObj, newObj) === QueueingHint.Queue) return true;
      }
    }
    return false;
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    let d = INITIAL_BACKOFF_MS;
    for (let i = 1; i < q.attempts && d < MAX_BACKOFF_MS; i++) d *= 2;
    return q.timestamp + Math.min(d, MAX_BACKOFF_MS);
  }

  private isBackingOff(q: QueuedPodInfo): boolean {
    // A pod never tried (e.g. one that was gated) has nothing to back off from.
    if (q.attempts === 0) return false;
    return this.backoffExpiry(q) > this.now();
  }

  flushBackoffCompleted(): void {
    for (;;) {
      const q = this.backoffQ.peek();
      if (!q || this.isBackingOff(q)) return;
      this.backoffQ.pop();
      this.pushActive(q);
    }
  }

  flushUnschedulableLeftover(): void {
    const t = this.now();
    for (const [key, q] of this.unschedulable) {
      if (t - q.timestamp < MAX_IN_UNSCHEDULABLE_MS) continue;
      this.unschedulable.delete(key);
      if (this.isBackingOff(q)) this.backoffQ.push(q);
      else this.addToActiveOrGated(q);
    }
  }

  // Nominated pods: preemption reserves room on a node for a pod that waits for its victims.

  private updateNomination(pod: Pod): void {
    const key = podKey(pod);
    const node = pod.status?.nominatedNodeName;
    if (this.nominatedNodeOf.get(key) === node) {
      if (node) this.nominatedByNode.get(node)!.set(key, newPodInfo(pod));
      return;
    }
    this.deleteNomination(key);
    if (!node || pod.spec?.nodeName) return;
    this.addNomination(newPodInfo(pod), node);
  }

  addNomination(info: PodInfo, node: string): void {
    this.deleteNomination(info.key);
    this.nominatedNodeOf.set(info.key, node);
    const m = this.nominatedByNode.get(node) ?? new Map<string, PodInfo>();
    m.set(info.key, info);
    this.nominatedByNode.set(node, m);
  }

  deleteNomination(key: string): void {
    const node = this.nominatedNodeOf.get(key);
    if (node === undefined) return;
    this.nominatedNodeOf.delete(key);
    const m = this.nominatedByNode.get(node);
    m?.delete(key);
    if (m?.size === 0) this.nominatedByNode.delete(node);
  }

  /** The node a pod was nominated to, known here before its status write comes back. */
  nominatedNodeFor(key: string): string | undefined {
    return this.nominatedNodeOf.get(key);
  }

  nominatedPodsForNode(node: string): PodInfo[] {
    if (this.nominatedByNode.size === 0) return NONE;
    const m = this.nominatedByNode.get(node);
    return m ? [...m.values()] : NONE;
  }
}
