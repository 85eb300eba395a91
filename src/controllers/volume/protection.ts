// The PVC and PV protection controllers (upstream pkg/controller/volume/pvcprotection and
// pvprotection). Admission puts kubernetes.io/pvc-protection on every new claim and
// kubernetes.io/pv-protection on every new volume; these controllers take the finalizer off a
// deleting object once nothing uses it, so a claim a running pod mounts (or a volume bound to a
// claim) outlives its delete until the user is gone. They also add the finalizer to objects that
// lack it (made before the protection existed), as upstream's do.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import {
  byNamespace,
  isConflict,
  isNotFound,
  metaNamespaceKey,
  NAMESPACE_INDEX,
  resources,
  runWorkers,
  WorkQueue,
  type Informer,
  type KubeObject,
  type RestClient,
  type GroupVersionResource,
} from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';
import { PVC_PROTECTION_FINALIZER } from '../../registry/persistentvolumeclaims/strategy.js';
import { PV_PROTECTION_FINALIZER } from '../../registry/persistentvolumes/strategy.js';

/** The claims a pod's volumes name (persistentVolumeClaim sources, and generic ephemeral volumes' `<pod>-<volume>`). */
export function claimNamesOf(pod: Pod): string[] {
  const names: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) names.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) names.push(`${pod.metadata?.name}-${v.name}`);
  }
  return names;
}

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * Whether a pod holds a claim: it names it, is scheduled (an agent sees only scheduled pods, and
 * will not start one whose claim is being deleted) and has not finished.
 */
export function podUsesClaim(pod: Pod, claimName: string): boolean {
  return !!pod.spec?.nodeName && !isTerminal(pod) && claimNamesOf(pod).includes(claimName);
}

function hasFinalizer(o: KubeObject, f: string): boolean {
  return o.metadata?.finalizers?.includes(f) ?? false;
}

/** The object with the finalizer added or removed, written with update (a conflict retries the key). */
async function setFinalizer(client: RestClient, ref: GroupVersionResource, o: KubeObject, f: string, present: boolean): Promise<void> {
  const next = structuredClone(o);
  const fins = (next.metadata!.finalizers ?? []).filter((x) => x !== f);
  if (present) fins.push(f);
  next.metadata!.finalizers = fins;
  try {
    await client.update({ ...ref, namespace: o.metadata?.namespace }, next);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

abstract class ProtectionController<T extends KubeObject> implements Controller {
  abstract readonly name: string;
  protected readonly queue: WorkQueue<string>;

  constructor(
    protected readonly ctx: ControllerContext,
    queueName: string,
  ) {
    this.queue = new WorkQueue<string>({ name: queueName });
  }

  protected enqueue(o: KubeObject): void {
    this.queue.add(metaNamespaceKey(o));
  }

  protected abstract sync(key: string): Promise<void>;

  async run(signal: AbortSignal): Promise<void> {
    await runWorkers(this.queue, 1, (key) => this.sync(key), {
      signal,
      onError: (key, e) => {
        if (!isConflict(e)) this.ctx.log(`${this.name} ${key}: ${(e as Error)?.message ?? e}`);
      },
    });
  }
}

class PvcProtectionController extends ProtectionController<PersistentVolumeClaim> {
  readonly name = 'pvc-protection';
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly pods: Informer<Pod>;

  constructor(ctx: ControllerContext) {
    super(ctx, 'pvcprotection');
    this.claims = ctx.informers.for<PersistentVolumeClaim>(resources.persistentvolumeclaims, { [NAMESPACE_INDEX]: byNamespace });
    this.pods = ctx.informers.for<Pod>(resources.pods, { [NAMESPACE_INDEX]: byNamespace });
    this.claims.addEventHandler({ onAdd: (c) => this.enqueue(c), onUpdate: (_o, c) => this.enqueue(c) });
    // A pod that goes (or finishes) may free the claims it named.
    const onPod = (pod: Pod) => {
      for (const name of claimNamesOf(pod)) this.queue.add(`${pod.metadata?.namespace}/${name}`);
    };
    this.pods.addEventHandler({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: onPod });
  }

  protected async sync(key: string): Promise<void> {
    const pvc = this.claims.getByKey(key);
    if (!pvc) return;
    const deleting = !!pvc.metadata?.deletionTimestamp;
    const has = hasFinalizer(pvc, PVC_PROTECTION_FINALIZER);
    if (!deleting && !has) return setFinalizer(this.ctx.client, resources.persistentvolumeclaims, pvc, PVC_PROTECTION_FINALIZER, true);
    if (!deleting || !has) return;
    if (await this.inUse(pvc)) return;
    await setFinalizer(this.ctx.client, resources.persistentvolumeclaims, pvc, PVC_PROTECTION_FINALIZER, false);
  }

  /** The cache first; if it sees no user, the API server confirms (a pod made a moment ago may not be cached yet), as upstream. */
  private async inUse(pvc: PersistentVolumeClaim): Promise<boolean> {
    const ns = pvc.metadata!.namespace!;
    const name = pvc.metadata!.name!;
    if (this.pods.byIndex(NAMESPACE_INDEX, ns).some((p) => podUsesClaim(p, name))) return true;
    const live = await this.ctx.client.listAll<Pod>({ ...resources.pods, namespace: ns });
    return live.items.some((p) => podUsesClaim(p, name));
  }
}

class PvProtectionController extends ProtectionController<PersistentVolume> {
  readonly name = 'pv-protection';
  private readonly volumes: Informer<PersistentVolume>;

  constructor(ctx: ControllerContext) {
    super(ctx, 'pvprotection');
    this.volumes = ctx.informers.for<PersistentVolume>(resources.persistentvolumes);
    this.volumes.addEventHandler({ onAdd: (v) => this.enqueue(v), onUpdate: (_o, v) => this.enqueue(v) });
  }

  protected async sync(key: string): Promise<void> {
    const pv = this.volumes.getByKey(key);
    if (!pv) return;
    const deleting = !!pv.metadata?.deletionTimestamp;
    const has = hasFinalizer(pv, PV_PROTECTION_FINALIZER);
    if (!deleting && !has) return setFinalizer(this.ctx.client, resources.persistentvolumes, pv, PV_PROTECTION_FINALIZER, true);
    // A volume is in use while bound to a claim (upstream's isBeingUsed: phase Bound).
    if (!deleting || !has || pv.status?.phase === 'Bound') return;
    await setFinalizer(this.ctx.client, resources.persistentvolumes, pv, PV_PROTECTION_FINALIZER, false);
  }
}

export function newPvcProtectionController(ctx: ControllerContext): Controller {
  return new PvcProtectionController(ctx);
}

export function newPvProtectionController(ctx: ControllerContext): Controller {
  return new PvProtectionController(ctx);
}
