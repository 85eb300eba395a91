// The simulated nodes' leases: one Lease per node in kube-node-lease, each written as the
// kubelet core writes the agent's (src/kubelet/lease.ts), the renewals spread over the interval.
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { RestClient } from '../client/index.js';
import { writeNodeLease } from '../kubelet/index.js';
import type { SimNode } from './node-plan.js';
import { SpreadTicker } from './spread-ticker.js';

export interface LeaseRenewerOptions {
  durationSeconds: number;
  renewIntervalMs: number;
  concurrency: number;
  log: (msg: string) => void;
}

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
    const out = await writeNodeLease(this.client, {
      nodeName: n.name,
      nodeUid: n.uid,
      durationSeconds: this.opts.durationSeconds,
      last: this.known.get(n.name),
    });
    this.known.set(n.name, out);
    this.renewals++;
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
