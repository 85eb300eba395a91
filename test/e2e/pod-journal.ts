// The pods of a label selector as one watch sees them, for the workload e2e tests: creations and
// deletions in the order they happened, what the previous ordinal looked like when each pod was
// created (a StatefulSet's OrderedReady start), and the fewest nodes that had a ready pod at any
// moment (a DaemonSet's rolling update). A watch, not polling: no state in between is missed.
import type { Pod } from 'kubernetes-types/core/v1';
import { resources, type RestClient, type WatchHandle } from '../../src/client/index.js';

export const isReady = (p: Pod | undefined): boolean => !!p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export class PodJournal {
  /** Pod names in the order their ADDED events came. */
  readonly created: string[] = [];
  /** Pod names in the order they were marked for deletion (or deleted outright). */
  readonly deleting: string[] = [];
  /** For NAME-N (N > 0): whether NAME-(N-1) was Ready when NAME-N was created. */
  readonly readyBefore: Record<string, boolean> = {};
  /** For NAME-N (N > 0): NAME-(N-1)'s phase when NAME-N was created. */
  readonly phaseBefore: Record<string, string | undefined> = {};
  /** The fewest distinct nodes with a ready, not terminating pod, over every event since start(). */
  fewestReadyNodes = Infinity;
  private readonly pods = new Map<string, Pod>();
  private handle?: WatchHandle;

  constructor(
    private readonly client: RestClient,
    private readonly labelSelector: string,
    private readonly namespace = 'default',
  ) {}

  /** Lists the pods, then watches from that list's resourceVersion. */
  async start(): Promise<void> {
    const ref = { ...resources.pods, namespace: this.namespace };
    const list = await this.client.list<Pod>(ref, { labelSelector: this.labelSelector });
    for (const p of list.items) this.pods.set(p.metadata!.name!, p);
    this.handle = this.client.watch<Pod>(
      ref,
      { labelSelector: this.labelSelector, resourceVersion: list.metadata?.resourceVersion },
      (ev) => {
        if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') return;
        const name = ev.object.metadata!.name!;
        const before = this.pods.get(name);
        if (ev.type === 'ADDED') {
          this.created.push(name);
          const m = /^(.*)-(\d+)$/.exec(name);
          if (m && Number(m[2]) > 0) {
            const previous = this.pods.get(`${m[1]}-${Number(m[2]) - 1}`);
            this.readyBefore[name] = isReady(previous);
            this.phaseBefore[name] = previous?.status?.phase;
          }
        }
        if ((ev.type === 'DELETED' && !before?.metadata?.deletionTimestamp) || (ev.object.metadata?.deletionTimestamp && !before?.metadata?.deletionTimestamp))
          this.deleting.push(name);
        if (ev.type === 'DELETED') this.pods.delete(name);
        else this.pods.set(name, ev.object);
        this.fewestReadyNodes = Math.min(this.fewestReadyNodes, this.readyNodes().size);
      },
      () => {},
    );
  }

  /** The nodes that have a ready pod that is not terminating, as the watch has it now. */
  readyNodes(): Set<string> {
    return new Set([...this.pods.values()].filter((p) => !p.metadata?.deletionTimestamp && isReady(p) && p.spec?.nodeName).map((p) => p.spec!.nodeName!));
  }

  stop(): void {
    this.handle?.stop();
  }
}
