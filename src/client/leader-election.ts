// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection: candidates
// try to take the lease when it is free or its holder stopped renewing; the holder renews every
// retryPeriod and steps down if it cannot renew within renewDeadline. Writes are compare-and-swap
// on resourceVersion, so two candidates never both win the same round.
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1';
import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import { resources, type NamedRef } from './paths.js';
import type { RestClient } from './rest.js';
import { microTime, sleep } from './time.js';
import { componentLogger } from '../log/logger.js';

export interface LeaderElectorOptions {
  client: RestClient;
  namespace: string;
  name: string;
  /** Unique per candidate (e.g. hostname + random suffix). */
  identity: string;
  /** How long a lease holds without renewal before others may take it (kube-scheduler: 15 s). */
  leaseDurationSeconds?: number;
  /** How long the leader keeps retrying a failed renewal before it steps down (10 s). */
  renewDeadlineMs?: number;
  /** How often candidates try to acquire and the leader renews (2 s). */
  retryPeriodMs?: number;
  /** On stop(), clear the holder so a standby takes over at once (default true). */
  releaseOnStop?: boolean;
  /** Now leading: run until signal aborts (leadership lost or stop()). */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  /** The holder changed (also called with our own identity when we win). */
  onNewLeader?: (identity: string) => void;
  log?: (msg: string) => void;
}

/** client-go's JitterFactor for acquire retries: wait retryPeriod × (1 + up to 1.2). */
const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly ref: NamedRef;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: (msg: string) => void;
  private stopCtl = new AbortController();
  private leadCtl?: AbortController;
  private running?: Promise<void>;
  /** The lease as last read or written, and when (local clock) its spec last changed. */
  private observed?: Lease;
  private observedAt = 0;
  private reportedLeader?: string;

  constructor(private readonly opts: LeaderElectorOptions) {
    if (!opts.identity) throw new Error('leader election needs an identity');
    this.ref = { ...resources.leases, namespace: opts.namespace, name: opts.name };
    this.leaseDurationMs = (opts.leaseDurationSeconds ?? 15) * 1000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= this.retryPeriodMs * JITTER_FACTOR) throw new Error('renewDeadline must be greater than retryPeriod × 1.2');
    this.log = opts.log ?? componentLogger('client');
  }

  get identity(): string {
    return this.opts.identity;
  }

  isLeader(): boolean {
    return this.leadCtl !== undefined && !this.leadCtl.signal.aborted;
  }

  /** The holder as last observed ("" or undefined when free or unknown). */
  getLeader(): string | undefined {
    return this.observed?.spec?.holderIdentity || undefined;
  }

  /**
   * Campaigns until elected, leads until the lease is lost or stop() is called, then resolves.
   * After a loss the caller decides: exit (as kube-scheduler does) or run() again.
   */
  run(): Promise<void> {
    if (this.stopCtl.signal.aborted) return Promise.resolve();
    this.running ??= this.campaign().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops campaigning or leading; a leader releases the lease first (unless releaseOnStop is false). */
  async stop(): Promise<void> {
    this.stopCtl.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopCtl.signal.aborted;
  }

  private async campaign(): Promise<void> {
    // Acquire: try now, then every retryPeriod (jittered) until we hold the lease.
    while (!(await this.tryAcquireOrRenew(this.stopCtl.signal))) {
      if (this.stopped) return;
      await sleep(this.retryPeriodMs * (1 + Math.random() * JITTER_FACTOR), this.stopCtl.signal);
      if (this.stopped) return;
    }
    if (this.stopped) {
      await this.release();
      return;
    }
    const lead = (this.leadCtl = new AbortController());
    this.log(`leader election: ${this.opts.identity} acquired lease ${this.opts.namespace}/${this.opts.name}`);
    void (async () => {
      try {
        await this.opts.onStartedLeading(lead.signal);
      } catch (e) {
        this.log(`leader election: onStartedLeading failed: ${(e as Error).message}`);
      }
    })();

    const lost = !(await this.renewLoop());
    lead.abort();
    if (lost) this.log(`leader election: ${this.opts.identity} lost lease ${this.opts.namespace}/${this.opts.name}`);
    else if (this.opts.releaseOnStop !== false) await this.release();
    this.leadCtl = undefined;
    try {
      this.opts.onStoppedLeading?.();
    } catch (e) {
      this.log(`leader election: onStoppedLeading failed: ${(e as Error).message}`);
    }
  }

  /** Renews every retryPeriod; false when a renewal kept failing for renewDeadline. */
  private async renewLoop(): Promise<boolean> {
    for (;;) {
      await sleep(this.retryPeriodMs, this.stopCtl.signal);
      if (this.stopped) return true;
      const deadline = Date.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!this.stopped) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        // Each attempt is cut off at the deadline: a hung request must not keep us "leading".
        const attempt = new AbortController();
        const onStop = () => attempt.abort();
        this.stopCtl.signal.addEventListener('abort', onStop, { once: true });
        const timer = setTimeout(() => attempt.abort(), remaining);
        try {
          renewed = await this.tryAcquireOrRenew(attempt.signal);
        } finally {
          clearTimeout(timer);
          this.stopCtl.signal.removeEventListener('abort', onStop);
        }
        if (renewed || Date.now() >= deadline) break;
        await sleep(Math.min(this.retryPeriodMs, deadline - Date.now()), this.stopCtl.signal);
      }
      if (this.stopped) return true;
      if (!renewed) return false;
    }
  }

  /** One round: read the lease, and write ourselves in if it is ours, free or expired. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, identity } = this.opts;
    const now = new Date();
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.leaseDurationMs / 1000,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let current: Lease;
    try {
      current = await client.get<Lease>(this.ref, { signal });
    } catch (e) {
      if (!isNotFound(e)) {
        if (!signal.aborted) this.log(`leader election: reading lease ${this.opts.namespace}/${this.opts.name}: ${(e as Error).message}`);
        return false;
      }
      try {
        const lease: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec };
        this.observe(await client.create(this.ref, lease, { signal }));
        return true;
      } catch (err) {
        if (!isAlreadyExists(err) && !signal.aborted) this.log(`leader election: creating lease: ${(err as Error).message}`);
        return false;
      }
    }

    this.observe(current);
    const old = current.spec ?? {};
    const holder = old.holderIdentity ?? '';
    // Expiry is judged by our own clock, from when we saw the lease last change: clocks of
    // different machines are never compared.
    if (holder && holder !== identity && this.observedAt + this.leaseDurationMs > Date.now()) return false;
    if (holder === identity) {
      spec.acquireTime = old.acquireTime ?? spec.acquireTime;
      spec.leaseTransitions = old.leaseTransitions ?? 0;
    } else {
      spec.leaseTransitions = (old.leaseTransitions ?? 0) + 1;
    }
    try {
      this.observe(await client.update(this.ref, { ...current, spec }, { signal }));
      return true;
    } catch (e) {
      if (!isConflict(e) && !signal.aborted) this.log(`leader election: updating lease: ${(e as Error).message}`);
      return false;
    }
  }

  /** Gives the lease up: no holder, so a standby need not wait for it to expire. */
  private async release(): Promise<void> {
    const { client, identity } = this.opts;
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const current = await client.get<Lease>(this.ref, { signal });
        if (current.spec?.holderIdentity !== identity) return;
        const now = microTime();
        const spec: LeaseSpec = {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: current.spec.leaseTransitions ?? 0,
        };
        this.observe(await client.update(this.ref, { ...current, spec }, { signal }));
        return;
      } catch (e) {
        if (isConflict(e)) continue;
        this.log(`leader election: releasing lease: ${(e as Error).message}`);
        return;
      }
    }
  }

  private observe(lease: Lease): void {
    const before = JSON.stringify(this.observed?.spec ?? null);
    if (JSON.stringify(lease.spec ?? null) !== before) this.observedAt = Date.now();
    this.observed = lease;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.opts.onNewLeader?.(holder);
      } catch (e) {
        this.log(`leader election: onNewLeader failed: ${(e as Error).message}`);
      }
    }
  }
}
