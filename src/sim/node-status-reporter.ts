// Node status heartbeats: every minute each node's conditions get a fresh lastHeartbeatTime,
// as a kubelet reports them (its Lease says it is alive; the status says what it reports).
// A small strategic merge patch on nodes/status: the conditions merge by type.
import { isNotFound, resources, rfc3339, type RestClient } from '../client/index.js';
import { nodeConditions } from './node-object.js';
import type { SimNode } from './node-plan.js';
import { SpreadTicker } from './spread-ticker.js';

export interface NodeStatusReporterOptions {
  intervalMs: number;
  concurrency: number;
  /** The node is gone (someone deleted it): a kubelet registers it again. */
  onNodeGone: (n: SimNode) => Promise<void>;
  log: (msg: string) => void;
}

export class NodeStatusReporter {
  private readonly ticker: SpreadTicker<SimNode>;
  private reports = 0;
  private failures = 0;
  private lastFailureLog = 0;

  constructor(
    private readonly client: RestClient,
    private readonly opts: NodeStatusReporterOptions,
  ) {
    this.ticker = new SpreadTicker<SimNode>({
      periodMs: opts.intervalMs,
      concurrency: opts.concurrency,
      run: async (n) => (n.registered ? this.report(n) : undefined),
      onError: (n, e) => this.failed(n, e),
    });
  }

  start(nodes: readonly SimNode[]): void {
    this.ticker.setItems(nodes);
    this.ticker.start();
  }

  async stop(): Promise<void> {
    await this.ticker.stop();
  }

  stats(): { reports: number; failures: number; backlog: number } {
    return { reports: this.reports, failures: this.failures, backlog: this.ticker.backlog };
  }

  async report(n: SimNode): Promise<void> {
    const patch = { status: { conditions: nodeConditions(n.readySince, rfc3339()) } };
    try {
      await this.client.patch({ ...resources.nodes, name: n.name, subresource: 'status' }, patch, 'strategic');
      this.reports++;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.opts.log(`node ${n.name} is gone: registering it again`);
      await this.opts.onNodeGone(n);
    }
  }

  private failed(n: SimNode, e: unknown): void {
    this.failures++;
    const now = Date.now();
    if (now - this.lastFailureLog > 5000) {
      this.lastFailureLog = now;
      this.opts.log(`status of node ${n.name} not reported: ${(e as Error).message} (${this.failures} failed reports so far)`);
    }
  }
}
