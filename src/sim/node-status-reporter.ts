// The simulator's side of the node status loop: a ticker over many nodes, each node's status
// computed from its plan every nodeStatusUpdateFrequency and posted by the kubelet core's rules
// (src/kubelet/node-status.ts: when it changed, or every nodeStatusReportFrequency), as a
// kubelet reports it (its Lease says it is alive; the status says what it reports).
import { isNotFound, rfc3339, type RestClient } from '../client/index.js';
import { NODE_STATUS_REPORT_FREQUENCY_MS, NodeStatusTracker, reportNodeStatus } from '../kubelet/index.js';
import { nodeStatus, type NodeShape } from './node-object.js';
import type { SimNode } from './node-plan.js';
import { SpreadTicker } from './spread-ticker.js';

export interface NodeStatusReporterOptions {
  /** How often each node's status is computed (kubelet's nodeStatusUpdateFrequency). */
  intervalMs: number;
  /** How often an unchanged status is posted anyway (kubelet's nodeStatusReportFrequency). */
  reportIntervalMs?: number;
  shape: NodeShape;
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
  /** Each node's last post, by name (a node registered again starts afresh: its registration posted it). */
  private readonly trackers = new Map<string, NodeStatusTracker>();

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

  /** The node was (re-)registered with its status just now. */
  registered(n: SimNode): void {
    const tracker = this.tracker(n);
    tracker.posted(nodeStatus(n, this.opts.shape, rfc3339()));
  }

  async report(n: SimNode): Promise<void> {
    try {
      if (await reportNodeStatus(this.client, n.name, nodeStatus(n, this.opts.shape, rfc3339()), this.tracker(n))) this.reports++;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.opts.log(`node ${n.name} is gone: registering it again`);
      await this.opts.onNodeGone(n);
    }
  }

  private tracker(n: SimNode): NodeStatusTracker {
    let t = this.trackers.get(n.name);
    if (!t) this.trackers.set(n.name, (t = new NodeStatusTracker(this.opts.reportIntervalMs ?? NODE_STATUS_REPORT_FREQUENCY_MS)));
    return t;
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
