// The node's heartbeat: its Lease in kube-node-lease, renewed every 10 s with a compare-and-swap
// on the copy last written (kubelet's lease controller); owned by the Node, so it goes with it.
// One writer for the agent's single node and the simulator's many: on a conflict the Lease is
// read again, when it is gone it is created again.
import type { Lease } from 'kubernetes-types/coordination/v1';
import { isAlreadyExists, isConflict, isForbidden, isNotFound, microTime, resources, type RestClient } from '../client/index.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** kubelet's defaults: --node-lease-duration-seconds 40, renewed every quarter of it. */
export const NODE_LEASE_DURATION_SECONDS = 40;
export const NODE_LEASE_RENEW_INTERVAL_MS = 10_000;

const leases = { ...resources.leases, namespace: NODE_LEASE_NAMESPACE };

export interface NodeLeaseInput {
  nodeName: string;
  /** The Node's uid once known: the Lease is then owned by it, and deleted with it. */
  nodeUid?: string;
  durationSeconds: number;
  at?: Date;
  /** The last copy seen: its resourceVersion makes the write a compare-and-swap. */
  last?: Lease;
}

/** The node's Lease renewed now, built on the last copy seen. */
export function nodeLease(i: NodeLeaseInput): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      ...i.last?.metadata,
      name: i.nodeName,
      namespace: NODE_LEASE_NAMESPACE,
      ...(i.nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: i.nodeName, uid: i.nodeUid }] } : {}),
    },
    spec: { ...i.last?.spec, holderIdentity: i.nodeName, leaseDurationSeconds: i.durationSeconds, renewTime: microTime(i.at) },
  };
}

/**
 * Creates or renews the node's Lease (an update when `last` has a resourceVersion, else a
 * create), retrying twice from the server's copy on a conflict or from nothing when it is gone.
 * Returns the Lease as written.
 */
export async function writeNodeLease(client: RestClient, input: Omit<NodeLeaseInput, 'at'>): Promise<Lease> {
  let last = input.last;
  for (let attempt = 0; ; attempt++) {
    try {
      const body = nodeLease({ ...input, last });
      return last?.metadata?.resourceVersion ? await client.update(leases, body) : await client.create(leases, body);
    } catch (e) {
      if (attempt >= 2) throw e;
      // Someone else wrote it (or an older copy of ours): start from the current one.
      if (isConflict(e) || isAlreadyExists(e)) last = await client.get<Lease>({ ...leases, name: input.nodeName });
      else if (isNotFound(e)) last = undefined;
      else throw e;
    }
  }
}

/**
 * Creates kube-node-lease when the cluster has none yet (a control plane that makes it makes this
 * a no-op). A node may not create namespaces (the Node authorizer): then it is the control plane's.
 */
export async function ensureNodeLeaseNamespace(client: RestClient): Promise<void> {
  try {
    await client.create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } });
  } catch (e) {
    if (!isAlreadyExists(e) && !isForbidden(e)) throw e;
  }
}

export interface LeaseRenewerOptions {
  client: RestClient;
  nodeName: string;
  nodeUid: () => string | undefined;
  durationSeconds?: number;
  renewIntervalMs?: number;
  log: (msg: string) => void;
}

/** One node's Lease kept renewed on a timer (the agent's; the simulator spreads many over a ticker). */
export class LeaseRenewer {
  private last?: Lease;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: LeaseRenewerOptions) {}

  /** Creates or renews the Lease now. */
  async renew(): Promise<Lease> {
    this.last = await writeNodeLease(this.o.client, {
      nodeName: this.o.nodeName,
      nodeUid: this.o.nodeUid(),
      durationSeconds: this.o.durationSeconds ?? NODE_LEASE_DURATION_SECONDS,
      last: this.last,
    });
    return this.last;
  }

  start(): void {
    const every = this.o.renewIntervalMs ?? NODE_LEASE_RENEW_INTERVAL_MS;
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.renew();
      } catch (e) {
        this.o.log(`node lease not renewed: ${(e as Error).message}`);
      }
      if (this.stopped) return;
      this.timer = setTimeout(() => void tick(), every);
      this.timer.unref();
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
