// Writes pods' statuses to the API server when they differ from what the server has (kubelet's
// status manager): a merge patch of pods/NAME/status carrying the uid, so that a status meant
// for one pod never lands on a new pod of the same name.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import { clone, deepEqual } from '../api/object.js';
import { isNotFound, isInvalid, isConflict, resources, type RestClient } from '../client/index.js';

export class StatusManager {
  /** What was last written per pod uid, and at which resourceVersion (the informer's copy may lag behind it). */
  private readonly written = new Map<string, { status: PodStatus; rv: string }>();

  constructor(
    private readonly client: RestClient,
    private readonly log: (msg: string) => void,
    /** Told of every status written (the pod start latency metric watches for Running). */
    private readonly onWritten?: (uid: string, status: PodStatus | undefined) => void,
  ) {}

  /** The newest status known: the informer's copy, or our own later write. */
  current(pod: Pod): PodStatus {
    const w = this.written.get(pod.metadata!.uid!);
    if (w && newer(w.rv, pod.metadata!.resourceVersion)) return clone(w.status);
    return clone(pod.status ?? {});
  }

  /** Writes status unless the server's copy (or our last write) already says it; returns whether it wrote. */
  async write(pod: Pod, status: PodStatus): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    const next = clone(status);
    if (deepEqual(next, this.current(pod))) return false;
    try {
      const out = await this.client.patch<Pod>(
        { ...resources.pods, namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, subresource: 'status' },
        { metadata: { uid }, status: next },
        'merge',
      );
      if (out.metadata?.uid !== uid) return false;
      this.written.set(uid, { status: clone(out.status ?? next), rv: out.metadata?.resourceVersion ?? '' });
      this.onWritten?.(uid, out.status);
      return true;
    } catch (e) {
      // The pod is gone or was replaced: nothing to report on any more.
      if (isNotFound(e) || isConflict(e) || isInvalid(e)) {
        this.log(`status of pod ${pod.metadata!.namespace}/${pod.metadata!.name} not written: ${(e as Error).message}`);
        return false;
      }
      throw e;
    }
  }

  forget(uid: string): void {
    this.written.delete(uid);
  }
}

/** Whether resourceVersion a is newer than b (Berth's are revision numbers). */
function newer(a: string, b: string | undefined): boolean {
  if (!b) return true;
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}
