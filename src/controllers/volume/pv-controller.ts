// The persistent volume controller (upstream pkg/controller/volume/persistentvolume, the
// "binder"): binds claims to volumes and keeps both sides' phases. A claim without a volume
// gets the best match (matching.ts) or waits: for its first consumer (WaitForFirstConsumer
// classes, the scheduler picks the node) or for its class's provisioner, which it names in the
// claim's storage-provisioner annotation. Binding writes the volume's claimRef, then the
// volume's phase, then the claim's volumeName, then the claim's phase, so a crash between
// writes is finished by the next sync. A volume whose claim is gone is Released and reclaimed
// by its policy: Retain keeps it, Delete leaves it to the provisioner that made it (the
// local-path one deletes directory and volume); a volume with nothing to delete it is Failed.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import {
  isConflict,
  isNotFound,
  metaNamespaceKey,
  resources,
  runWorkers,
  WorkQueue,
  type EventRecorder,
  type Informer,
  type RestClient,
} from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';
import { claimClass, claimRefMatches, findBestMatch, mismatch } from './matching.js';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
} from '../../api/volume-annotations.js';

export const PV_CONTROLLER_COMPONENT = 'persistentvolume-controller';

export interface PersistentVolumeControllerOptions {
  /** How often every claim and volume is synced again (upstream --pvclaimbinder-sync-period: 15 s). */
  resyncMs?: number;
}

type Phase = string;

function annotated<T extends PersistentVolume | PersistentVolumeClaim>(o: T, add: Record<string, string>): T {
  const next = structuredClone(o);
  next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), ...add };
  return next;
}

export function newPersistentVolumeController(ctx: ControllerContext, opts: PersistentVolumeControllerOptions = {}): Controller {
  return new PersistentVolumeController(ctx, opts);
}

class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-binder';
  private readonly claimQueue = new WorkQueue<string>({ name: 'claims' });
  private readonly volumeQueue = new WorkQueue<string>({ name: 'volumes' });
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly classes: Informer<StorageClass>;
  private readonly client: RestClient;
  private readonly recorder: EventRecorder;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: PersistentVolumeControllerOptions,
  ) {
    this.client = ctx.client;
    this.recorder = ctx.recorder(PV_CONTROLLER_COMPONENT);
    this.claims = ctx.informers.for<PersistentVolumeClaim>(resources.persistentvolumeclaims);
    this.volumes = ctx.informers.for<PersistentVolume>(resources.persistentvolumes);
    this.classes = ctx.informers.for<StorageClass>(resources.storageclasses);
    const onClaim = (c: PersistentVolumeClaim) => {
      this.claimQueue.add(metaNamespaceKey(c));
      if (c.spec?.volumeName) this.volumeQueue.add(c.spec.volumeName);
    };
    this.claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c), onDelete: onClaim });
    const onVolume = (v: PersistentVolume) => {
      this.volumeQueue.add(v.metadata!.name!);
      const ref = v.spec?.claimRef;
      if (ref?.name) this.claimQueue.add(`${ref.namespace}/${ref.name}`);
    };
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v), onDelete: onVolume });
  }

  async run(signal: AbortSignal): Promise<void> {
    const stop = () => {
      this.claimQueue.shutDown();
      this.volumeQueue.shutDown();
      clearInterval(resync);
    };
    // Periodic resync, as upstream: a claim waiting for a volume that appears later is retried.
    const resync = setInterval(() => {
      for (const c of this.claims.list()) this.claimQueue.add(metaNamespaceKey(c));
      for (const v of this.volumes.list()) this.volumeQueue.add(v.metadata!.name!);
    }, this.opts.resyncMs ?? 15_000);
    resync.unref();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const onError = (key: string, e: unknown) => {
      if (!isConflict(e)) this.ctx.log(`${this.name} ${key}: ${(e as Error)?.message ?? e}`);
    };
    await Promise.all([
      runWorkers(this.claimQueue, 1, (key) => this.syncClaim(key), { onError }),
      runWorkers(this.volumeQueue, 1, (key) => this.syncVolume(key), { onError }),
    ]);
  }

  // ---- claims ----

  private async syncClaim(key: string): Promise<void> {
    const pvc = this.claims.getByKey(key);
    if (!pvc) return;
    if (pvc.metadata?.annotations?.[ANN_BIND_COMPLETED]) await this.syncBoundClaim(pvc);
    else await this.syncUnboundClaim(pvc);
  }

  private async syncUnboundClaim(pvc: PersistentVolumeClaim): Promise<void> {
    // A claim on its way out is not bound to anything new.
    if (pvc.metadata?.deletionTimestamp) return;
    const wanted = pvc.spec?.volumeName;
    if (!wanted) {
      const className = claimClass(pvc);
      const cls = className ? this.classes.getByKey(className) : undefined;
      const delay = cls?.volumeBindingMode === 'WaitForFirstConsumer';
      const pv = findBestMatch(pvc, this.volumes.list(), delay);
      if (pv) return this.bind(pv, pvc);
      await this.setClaimPhase(pvc, 'Pending');
      const selectedNode = pvc.metadata?.annotations?.[ANN_SELECTED_NODE];
      if (delay && !selectedNode) {
        this.recorder.event(pvc, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
        return;
      }
      if (!className) {
        this.recorder.event(pvc, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set');
        return;
      }
      if (!cls) {
        this.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
        return;
      }
      return this.askProvisioner(pvc, cls.provisioner);
    }
    const pv = this.volumes.getByKey(wanted);
    if (!pv) {
      await this.setClaimPhase(pvc, 'Pending');
      return;
    }
    if (pv.spec?.claimRef && !claimRefMatches(pv, pvc)) {
      await this.setClaimPhase(pvc, 'Pending');
      this.recorder.event(pvc, 'Warning', 'FailedBinding', `volume "${wanted}" already bound to a different claim.`);
      return;
    }
    const why = mismatch(pv, pvc, !!pv.spec?.claimRef);
    if (why) {
      await this.setClaimPhase(pvc, 'Pending');
      this.recorder.event(pvc, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${wanted}": ${why} does not match`);
      return;
    }
    await this.bind(pv, pvc);
  }

  /** Names the class's provisioner on the claim; the provisioner (the local-path one is in the agents) makes the volume. */
  private async askProvisioner(pvc: PersistentVolumeClaim, provisioner: string): Promise<void> {
    const a = pvc.metadata?.annotations ?? {};
    if (a[ANN_STORAGE_PROVISIONER] !== provisioner || a[ANN_BETA_STORAGE_PROVISIONER] !== provisioner) {
      await this.client.update(
        { ...resources.persistentvolumeclaims, namespace: pvc.metadata!.namespace },
        annotated(pvc, { [ANN_STORAGE_PROVISIONER]: provisioner, [ANN_BETA_STORAGE_PROVISIONER]: provisioner }),
      );
    }
    this.recorder.event(
      pvc,
      'Normal',
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    );
  }

  private async syncBoundClaim(pvc: PersistentVolumeClaim): Promise<void> {
    const name = pvc.spec?.volumeName;
    if (!name) {
      await this.setClaimPhase(pvc, 'Lost');
      this.recorder.event(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
      return;
    }
    const pv = this.volumes.getByKey(name) ?? (await this.liveVolume(name));
    if (!pv) {
      await this.setClaimPhase(pvc, 'Lost');
      this.recorder.event(pvc, 'Warning', 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      return;
    }
    if (!pv.spec?.claimRef || claimRefMatches(pv, pvc)) return this.bind(pv, pvc);
    await this.setClaimPhase(pvc, 'Lost');
    this.recorder.event(pvc, 'Warning', 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
  }

  /**
   * Each write only when something differs, each on the object the last one returned; after a
   * conflict the key is synced again from the informers.
   */
  private async bind(pv: PersistentVolume, pvc: PersistentVolumeClaim): Promise<void> {
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== pvc.metadata?.uid) {
      const next = structuredClone(pv);
      next.spec!.claimRef = {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        namespace: pvc.metadata!.namespace,
        name: pvc.metadata!.name,
        uid: pvc.metadata!.uid,
        resourceVersion: pvc.metadata!.resourceVersion,
      };
      if (!ref) next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
      pv = await this.client.update(resources.persistentvolumes, next);
    }
    pv = await this.setVolumePhase(pv, 'Bound');
    const a = pvc.metadata?.annotations ?? {};
    if (pvc.spec?.volumeName !== pv.metadata!.name || a[ANN_BIND_COMPLETED] !== 'yes') {
      const next = annotated(pvc, { [ANN_BIND_COMPLETED]: 'yes', ...(pvc.spec?.volumeName ? {} : { [ANN_BOUND_BY_CONTROLLER]: 'yes' }) });
      next.spec!.volumeName = pv.metadata!.name;
      pvc = await this.client.update({ ...resources.persistentvolumeclaims, namespace: pvc.metadata!.namespace }, next);
    }
    const st = pvc.status ?? {};
    const capacity = pv.spec?.capacity ?? {};
    if (
      st.phase !== 'Bound' ||
      JSON.stringify(st.capacity ?? {}) !== JSON.stringify(capacity) ||
      JSON.stringify(st.accessModes ?? []) !== JSON.stringify(pv.spec?.accessModes ?? [])
    ) {
      await this.client.updateStatus(
        { ...resources.persistentvolumeclaims, namespace: pvc.metadata!.namespace },
        { ...pvc, status: { ...st, phase: 'Bound', capacity, accessModes: pv.spec?.accessModes } },
      );
    }
  }

  private async setClaimPhase(pvc: PersistentVolumeClaim, phase: Phase): Promise<void> {
    if (pvc.status?.phase === phase) return;
    const status = { ...(pvc.status ?? {}), phase };
    // Capacity and modes are the bound volume's: a claim that is not Bound shows none.
    if (phase === 'Pending') {
      delete status.capacity;
      delete status.accessModes;
    }
    await this.client.updateStatus({ ...resources.persistentvolumeclaims, namespace: pvc.metadata!.namespace }, { ...pvc, status });
  }

  // ---- volumes ----

  private async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.getByKey(name);
    if (!pv) return;
    const ref = pv.spec?.claimRef;
    // No claim yet, or pre-bound by a user and waiting for its claim to come.
    if (!ref?.uid) {
      if (pv.status?.phase !== 'Available' && pv.status?.phase !== 'Failed') await this.setVolumePhase(pv, 'Available');
      return;
    }
    let pvc = this.claims.getByKey(`${ref.namespace}/${ref.name}`);
    // The cache may not have a claim made a moment ago: ask before releasing a volume.
    if (!pvc) pvc = await this.liveClaim(ref.namespace!, ref.name!);
    if (pvc && pvc.metadata?.uid !== ref.uid) pvc = undefined;
    if (!pvc) return this.release(pv);
    const bound = pvc.spec?.volumeName;
    if (!bound) {
      // The claim's sync binds it (the volume was chosen for it, or pre-bound to it).
      this.claimQueue.add(metaNamespaceKey(pvc));
      return;
    }
    if (bound === name) {
      await this.setVolumePhase(pv, 'Bound');
      return;
    }
    // The claim went to another volume: a claimRef the binder wrote is taken back.
    if (pv.metadata?.annotations?.[ANN_BOUND_BY_CONTROLLER]) {
      const next = structuredClone(pv);
      delete next.spec!.claimRef;
      delete next.metadata!.annotations![ANN_BOUND_BY_CONTROLLER];
      const updated = await this.client.update(resources.persistentvolumes, next);
      await this.setVolumePhase(updated, 'Available');
    }
  }

  private async release(pv: PersistentVolume): Promise<void> {
    if (pv.status?.phase === 'Failed') return;
    if (pv.status?.phase !== 'Released') pv = await this.setVolumePhase(pv, 'Released');
    switch (pv.spec?.persistentVolumeReclaimPolicy ?? 'Retain') {
      case 'Retain':
        return;
      case 'Delete':
        // A provisioned volume is its provisioner's to delete (with what backs it), as upstream
        // leaves external provisioners' volumes to them; nothing here can delete any other.
        if (pv.metadata?.annotations?.[ANN_PROVISIONED_BY]) return;
        this.recorder.event(
          pv,
          'Warning',
          'VolumeFailedDelete',
          `error getting deleter volume plugin for volume "${pv.metadata!.name}": no deletable volume plugin matched`,
        );
        await this.setVolumePhase(pv, 'Failed', 'no deletable volume plugin matched');
        return;
      default:
        this.recorder.event(pv, 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
        await this.setVolumePhase(pv, 'Failed', 'No recycler plugin found for the volume!');
    }
  }

  private async setVolumePhase(pv: PersistentVolume, phase: Phase, message?: string): Promise<PersistentVolume> {
    if (pv.status?.phase === phase && pv.status?.message === message) return pv;
    const status: Record<string, unknown> = { phase, lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
    if (message) status.message = message;
    return this.client.updateStatus(resources.persistentvolumes, { ...pv, status });
  }

  private async liveClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined> {
    try {
      return await this.client.get<PersistentVolumeClaim>({ ...resources.persistentvolumeclaims, namespace, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async liveVolume(name: string): Promise<PersistentVolume | undefined> {
    try {
      return await this.client.get<PersistentVolume>({ ...resources.persistentvolumes, name });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}
