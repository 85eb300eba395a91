// The node's heartbeat: its Lease in kube-node-lease, renewed every 10 s with a compare-and-swap
// on the copy last written (kubelet's lease controller); owned by the Node, so it goes with it.
import type { Lease } from 'kubernetes-types/coordination/v1';
import { isAlreadyExists, isConflict, isNotFound, microTime, resources, type RestClient } from '../client/index.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface LeaseRenewerOptions {
  client: RestClient;
  nodeName: string;
  nodeUid: () => string | undefined;
  durationSeconds?: number;
  renewIntervalMs?: number;
  log: (msg: string) => void;
}

const leases = { ...resources.leases, namespace: NODE_LEASE_NAMESPACE };

export class LeaseRenewer {
  private last?: Lease;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: LeaseRenewerOptions) {}

  private lease(): Lease {
    const uid = this.o.nodeUid();
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...this.last?.metadata,
        name: this.o.nodeName,
        namespace: NODE_LEASE_NAMESPACE,
        ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid }] } : {}),
      },
      spec: { ...this.last?.spec, holderIdentity: this.o.nodeName, leaseDurationSeconds: this.o.durationSeconds ?? 40, renewTime: microTime() },
    };
  }

  /** Creates or renews the Lease now. */
  async renew(): Promise<Lease> {
    for (let attempt = 0; ; attempt++) {
      try {
        const body = this.lease();
        this.last = this.last?.metadata?.resourceVersion ? await this.o.client.update(leases, body) : await this.o.client.create(leases, body);
        return this.last;
      } catch (e) {
        if (attempt >= 2) throw e;
        if (isConflict(e) || isAlreadyExists(e)) this.last = await this.o.client.get<Lease>({ ...leases, name: this.o.nodeName });
        else if (isNotFound(e)) this.last = undefined;
        else throw e;
      }
    }
  }

  start(): void {
    const every = this.o.renewIntervalMs ?? 10_000;
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
