// The node status loop's rules, as kubelet's (pkg/kubelet/kubelet_node_status.go): the status is
// computed every nodeStatusUpdateFrequency (10 s) and posted when anything but its heartbeat
// times changed, or when nodeStatusReportFrequency (5 min) passed since the last post; the
// node's liveness in between is its Lease. A condition keeps its lastTransitionTime until its
// status changes. What computes the status differs (the machine and the CRI runtime for the
// agent, the plan for the simulator); these rules and the patch do not.
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1';
import { resources, type RestClient } from '../client/index.js';
import type { NodeConditionBody } from './node-conditions.js';

/** How often the status is computed (kubelet's nodeStatusUpdateFrequency). */
export const NODE_STATUS_UPDATE_FREQUENCY_MS = 10_000;
/** How often an unchanged status is posted anyway (kubelet's nodeStatusReportFrequency). */
export const NODE_STATUS_REPORT_FREQUENCY_MS = 5 * 60_000;

/** Posts the node's status (a strategic merge patch of nodes/NAME/status); the Node as the server has it after. */
export function patchNodeStatus(client: RestClient, name: string, status: NodeStatus): Promise<Node> {
  // Strategic, as kubelet's: conditions merge by type, so one the network sets (NetworkUnavailable) stays.
  return client.patch<Node>({ ...resources.nodes, name, subresource: 'status' }, { status }, 'strategic');
}

/**
 * What of a status counts as a change: everything but the conditions' times and the image list
 * (kubelet compares images too, but each pull would then post a status; the list is informative).
 */
function fingerprint(status: NodeStatus): string {
  const { conditions, images: _images, ...rest } = status;
  const bare = (conditions ?? []).map(({ lastHeartbeatTime: _h, lastTransitionTime: _t, ...c }) => c);
  return JSON.stringify([bare, rest]);
}

/** One node's status as last posted, and whether the next one is due. */
export class NodeStatusTracker {
  private last?: { fingerprint: string; atMs: number };
  private readonly transitions = new Map<string, { status: string; at: string }>();

  constructor(
    private readonly reportFrequencyMs = NODE_STATUS_REPORT_FREQUENCY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The conditions with this heartbeat, each keeping its lastTransitionTime while its status stays. */
  stamp(bodies: NodeConditionBody[], heartbeat: string): NodeCondition[] {
    return bodies.map((c) => {
      const prev = this.transitions.get(c.type);
      const at = prev && prev.status === c.status ? prev.at : heartbeat;
      this.transitions.set(c.type, { status: c.status, at });
      return { ...c, lastHeartbeatTime: heartbeat, lastTransitionTime: at };
    });
  }

  /** Never posted, something changed, or the report period has passed since the last post. */
  due(status: NodeStatus): boolean {
    if (!this.last) return true;
    return fingerprint(status) !== this.last.fingerprint || this.now() - this.last.atMs >= this.reportFrequencyMs;
  }

  /** The status was posted (or registered with) now. */
  posted(status: NodeStatus): void {
    this.last = { fingerprint: fingerprint(status), atMs: this.now() };
  }
}

/** Posts the status when it is due (or when forced, e.g. right after the network came up); the Node if posted. */
export async function reportNodeStatus(
  client: RestClient,
  name: string,
  status: NodeStatus,
  tracker: NodeStatusTracker,
  force = false,
): Promise<Node | undefined> {
  if (!force && !tracker.due(status)) return undefined;
  const node = await patchNodeStatus(client, name, status);
  tracker.posted(status);
  return node;
}
