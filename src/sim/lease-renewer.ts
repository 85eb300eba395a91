// The node leases, as the kubelet's lease controller keeps them: one Lease per node in
// kube-node-lease, renewed every 10 s with a compare-and-swap on the copy last written; on a
// conflict the Lease is read again, when it is gone it is created again.
import type { Lease } from 'kubernetes-types/coordination/v1';
import { isAlreadyExists, isConflict, isNotFound, resources, type RestClient } from '../client/index.js';
import { NODE_LEASE_NAMESPACE, renewedLease } from './node-object.js';
import type { SimNode } from './node-plan.js';
import { SpreadTicker } from './spread-ticker.js';

export interface LeaseRenewerOptions {
  durationSeconds: number;
  renewIntervalMs: number;
  concurrency: number;
  log: (msg: string) => void;
}

const leases = { ...resources.leases, namespace: NODE_LEASE_NAMESPACE };

export class LeaseRenewer {
  /** The last copy of each node's Lease this process wrote or read. */
  private readonly known = new Map<string, Lease>();
  private readonly ticker: SpreadTicker<SimNode>;
  private renewals = 0;
  private failures = 0;
  private lastFailureLog = 0;

  constructor(
    private readonly client: RestClient,
    private readonly opts: LeaseRenewerOptions,
  ) {
    this.ticker = new SpreadTicker<SimNode>({
      periodMs: opts.renewIntervalMs,
      concurrency: opts.concurrency,
      // Nodes still registering are skipped: their registration writes the first Lease.
      run: async (n) => (n.registered ? this.renew(n) : undefined),
      onError: (n, e) => this.failed(n, e),
    });
  }

  /** Leases found at start, so the first renewal is a plain update. */
  remember(existing: Lease[]): void {
    for (const l of existing) if (l.metadata?.name) this.known.set(l.metadata.name, l);
  }

  /** Renews every registered node's Lease from now on, spread over the interval. */
  start(nodes: readonly SimNode[]): void {
    this.ticker.setItems(nodes);
    this.ticker.start();
  }

  /** Stops renewing (the Leases then expire, as a stopped kubelet's do). */
  async stop(): Promise<void> {
    await this.ticker.stop();
  }

  stats(): { renewals: number; failures: number; backlog: number } {
    return { renewals: this.renewals, failures: this.failures, backlog: this.ticker.backlog };
  }

  /** Creates or renews the node's Lease now. */
  async renew(n: SimNode): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const last = this.known.get(n.name);
      const lease = renewedLease(n, this.opts.durationSeconds, new Date(), last);
      try {
        const out = last?.metadata?.resourceVersion ? await this.client.update(leases, lease) : await this.client.create(leases, lease);
        this.known.set(n.name, out);
        this.renewals++;
        return;
      } catch (e) {
        if (attempt >= 2) throw e;
        if (isConflict(e) || isAlreadyExists(e)) {
          // Someone else wrote it (or an older copy of ours): start from the current one.
          this.known.set(n.name, await this.client.get<Lease>({ ...leases, name: n.name }));
        } else if (isNotFound(e)) {
          this.known.delete(n.name);
        } else {
          throw e;
        }
      }
    }
  }

  private failed(n: SimNode, e: unknown): void {
    this.failures++;
    // One line every few seconds is enough to say the server is struggling.
    const now = Date.now();
    if (now - this.lastFailureLog > 5000) {
      this.lastFailureLog = now;
      this.opts.log(`lease of ${n.name} not renewed: ${(e as Error).message} (${this.failures} failed renewals so far)`);
    }
  }
}
