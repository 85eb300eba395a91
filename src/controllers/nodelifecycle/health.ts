// How the node lifecycle controller judges a node's health, as upstream's tryUpdateNodeHealth:
// the node is heard from when its Ready heartbeat or its Lease's renewTime moves; the time is
// the controller's own clock at that moment (never the timestamps themselves, to stay clear of
// clock skew). Not heard from for the grace period, its conditions become Unknown.
import type { Node, NodeCondition } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { nodeCondition } from './taints.js';

/** What the controller remembers of a node between passes (upstream's nodeHealthData). */
export interface NodeHealth {
  /** When we last heard from the node (ms, our clock). */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  status?: Node['status'];
  lease?: Lease;
}

export const NODE_STATUS_UNKNOWN = { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
export const NODE_STATUS_NEVER_UPDATED = { reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' };

/** The conditions set to Unknown when a node goes silent (NetworkUnavailable is the network's to say). */
const SILENT_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface HealthCheck {
  node: Node;
  saved: NodeHealth | undefined;
  lease: Lease | undefined;
  now: number;
  /** rfc3339 of now, for condition times. */
  nowTime: string;
  monitorGracePeriodMs: number;
  startupGracePeriodMs: number;
}

export interface HealthVerdict {
  /** What to remember now. */
  health: NodeHealth;
  /** The Ready condition as the node had it this pass (a made-up Unknown one if it has none). */
  observedReady: NodeCondition;
  /** The Ready condition after this pass (undefined if the node has none and we wrote none). */
  currentReady: NodeCondition | undefined;
  /** The node with its conditions set Unknown, to write through nodes/NAME/status. */
  statusUpdate?: Node;
  /** What to remember once statusUpdate is written. */
  healthAfterUpdate?: NodeHealth;
}

function time(s: string | undefined | null): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

export function checkNodeHealth(c: HealthCheck): HealthVerdict {
  const node: Node = structuredClone(c.node);
  const created = time(node.metadata?.creationTimestamp);
  let health = c.saved ? { ...c.saved } : undefined;
  let currentReady = nodeCondition(node.status, 'Ready');
  let observedReady: NodeCondition;
  let grace: number;
  if (!currentReady) {
    // Never posted: judged from its creation, with the longer startup grace period.
    const t = node.metadata?.creationTimestamp;
    observedReady = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: t, lastTransitionTime: t };
    grace = c.startupGracePeriodMs;
    if (health) health.status = node.status;
    else health = { status: node.status, probeTimestamp: created, readyTransitionTimestamp: created };
  } else {
    observedReady = { ...currentReady };
    grace = c.monitorGracePeriodMs;
  }
  const savedReady = c.saved ? nodeCondition(c.saved.status, 'Ready') : undefined;
  const savedLease = c.saved?.lease;
  if (!health) {
    health = { status: node.status, probeTimestamp: c.now, readyTransitionTimestamp: c.now };
  } else if ((!savedReady && currentReady) || (savedReady && !currentReady)) {
    health = { status: node.status, probeTimestamp: c.now, readyTransitionTimestamp: c.now };
  } else if (savedReady && currentReady && savedReady.lastHeartbeatTime !== currentReady.lastHeartbeatTime) {
    const transition = savedReady.lastTransitionTime !== currentReady.lastTransitionTime ? c.now : health.readyTransitionTimestamp;
    health = { status: node.status, probeTimestamp: c.now, readyTransitionTimestamp: transition };
  }
  // A renewed lease is a heartbeat too (the one agents send most often).
  if (c.lease && (!savedLease || time(savedLease.spec?.renewTime) < time(c.lease.spec?.renewTime))) {
    health = { ...health, lease: c.lease, probeTimestamp: c.now };
  } else if (savedLease && !health.lease) {
    health = { ...health, lease: savedLease };
  }

  if (c.now <= health.probeTimestamp + grace) return { health, observedReady, currentReady };

  const conditions = [...(node.status?.conditions ?? [])];
  (node as { status?: Node['status'] }).status = { ...node.status, conditions };
  for (const type of SILENT_CONDITIONS) {
    const i = conditions.findIndex((x) => x.type === type);
    if (i < 0) {
      conditions.push({
        type,
        status: 'Unknown',
        ...NODE_STATUS_NEVER_UPDATED,
        lastHeartbeatTime: node.metadata?.creationTimestamp,
        lastTransitionTime: c.nowTime,
      });
    } else if (conditions[i]!.status !== 'Unknown') {
      conditions[i] = { ...conditions[i]!, status: 'Unknown', ...NODE_STATUS_UNKNOWN, lastTransitionTime: c.nowTime };
    }
  }
  currentReady = nodeCondition(node.status, 'Ready');
  if (JSON.stringify(currentReady) === JSON.stringify(observedReady)) return { health, observedReady, currentReady };
  return {
    health,
    observedReady,
    currentReady,
    statusUpdate: node,
    healthAfterUpdate: { status: node.status, probeTimestamp: health.probeTimestamp, readyTransitionTimestamp: c.now, lease: c.lease },
  };
}

/**
 * Upstream's RateLimitedTimedQueue: nodes waiting to be tainted, taken in order of when they may
 * be processed, at most qps per second (burst 1). A limiter of 0 takes nothing.
 */
export class RateLimitedTimedQueue {
  private readonly items = new Map<string, { addedAt: number; processAt: number }>();
  private tokens: number;
  private last: number;

  constructor(
    private qps: number,
    private readonly now: () => number = Date.now,
    private readonly burst = 1,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Adds a node; false when it is already waiting. */
  add(name: string): boolean {
    if (this.items.has(name)) return false;
    const t = this.now();
    this.items.set(name, { addedAt: t, processAt: t });
    return true;
  }

  remove(name: string): boolean {
    return this.items.delete(name);
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  get qpsLimit(): number {
    return this.qps;
  }

  swapLimiter(qps: number): void {
    if (qps === this.qps) return;
    this.qps = qps;
    this.tokens = Math.min(this.tokens, this.burst);
    this.last = this.now();
  }

  private tryAccept(): boolean {
    if (this.qps <= 0) return false;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Runs fn on due items while the limiter allows: true removes the item, a delay retries it then. */
  async try(fn: (name: string) => Promise<true | { retryAfterMs: number }>): Promise<void> {
    const due = [...this.items].filter(([, v]) => v.processAt <= this.now()).sort((a, b) => a[1].processAt - b[1].processAt);
    for (const [name, v] of due) {
      if (!this.items.has(name)) continue;
      if (!this.tryAccept()) return;
      const result = await fn(name);
      if (result === true) this.items.delete(name);
      else if (this.items.get(name) === v) v.processAt = this.now() + result.retryAfterMs + 1;
    }
  }
}
