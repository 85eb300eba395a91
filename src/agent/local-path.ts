// The local-path provisioner, as k3s's (rancher/local-path-provisioner) but inside each agent:
// the node that owns the directory makes and removes it. A claim the binder handed to
// berth.dev/local-path (volume.kubernetes.io/storage-provisioner) whose first pod the scheduler
// put on this node (volume.kubernetes.io/selected-node) gets a directory
// <dataDir>/storage/pvc-<uid>_<namespace>_<name> and a PersistentVolume pvc-<uid>: a hostPath
// of that directory, pinned to this node by node affinity, pre-bound to the claim (the binder
// finishes the binding), with the class's reclaim policy. A Released volume of this node under
// reclaim Delete loses its directory, then its object.
import { mkdirSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import {
  createInformer,
  isAlreadyExists,
  isNotFound,
  metaNamespaceKey,
  resources,
  runWorkers,
  WorkQueue,
  type EventRecorder,
  type Informer,
  type RestClient,
} from '../client/index.js';
import { ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, LOCAL_PATH_PROVISIONER } from '../api/volume-annotations.js';
import { claimClass } from '../controllers/volume/matching.js';

const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export interface LocalPathOptions {
  client: RestClient;
  /** The node(s) served: an agent's own name, or which names are a simulator's nodes. */
  nodeName: string | ((name: string) => boolean);
  /** The agent's data dir; volumes live under <dataDir>/storage. */
  dataDir: string;
  /**
   * false for simulated nodes: the volumes are objects only (their pods mount nothing), so
   * claims of the default class bind there as on a real node.
   */
  directories?: boolean;
  recorder: EventRecorder;
  log: (m: string) => void;
}

/** Where a claim's volume lives on its node (k3s's layout: one directory per claim). */
export function volumeDir(dataDir: string, pvc: PersistentVolumeClaim): string {
  return join(dataDir, 'storage', `pvc-${pvc.metadata!.uid}_${pvc.metadata!.namespace}_${pvc.metadata!.name}`);
}

/** The volume this provisioner makes for a claim on a node. */
export function volumeFor(pvc: PersistentVolumeClaim, cls: StorageClass | undefined, nodeName: string, path: string): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `pvc-${pvc.metadata!.uid}`, annotations: { [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: pvc.spec!.resources!.requests!.storage! },
      accessModes: pvc.spec?.accessModes,
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      storageClassName: claimClass(pvc),
      persistentVolumeReclaimPolicy: cls?.reclaimPolicy ?? 'Delete',
      hostPath: { path, type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [nodeName] }] }] } },
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata!.namespace, name: pvc.metadata!.name, uid: pvc.metadata!.uid },
    },
  };
}

/** The node a local-path volume was made on, from its node affinity; undefined for any other volume. */
export function localPathNodeOf(pv: PersistentVolume): string | undefined {
  if (pv.metadata?.annotations?.[ANN_PROVISIONED_BY] !== LOCAL_PATH_PROVISIONER) return undefined;
  for (const t of pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [])
    for (const e of t.matchExpressions ?? []) if (e.key === HOSTNAME_LABEL && e.operator === 'In' && e.values?.length === 1) return e.values[0];
  return undefined;
}

/** Whether a volume is one this provisioner made on this node. */
export function isLocalPathVolumeOf(pv: PersistentVolume, nodeName: string): boolean {
  return localPathNodeOf(pv) === nodeName;
}

export class LocalPathProvisioner {
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly classes: Informer<StorageClass>;
  private readonly claimQueue = new WorkQueue<string>({ name: 'local-path claims' });
  private readonly volumeQueue = new WorkQueue<string>({ name: 'local-path volumes' });
  private running?: Promise<unknown>;

  private readonly owns: (node: string | undefined) => boolean;

  constructor(private readonly o: LocalPathOptions) {
    const log = o.log;
    const served = o.nodeName;
    this.owns = (node) => !!node && (typeof served === 'string' ? node === served : served(node));
    this.claims = createInformer<PersistentVolumeClaim>(o.client, resources.persistentvolumeclaims, { name: 'local-path claims', log });
    this.volumes = createInformer<PersistentVolume>(o.client, resources.persistentvolumes, { name: 'local-path volumes', log });
    this.classes = createInformer<StorageClass>(o.client, resources.storageclasses, { name: 'local-path classes', log });
    const onClaim = (c: PersistentVolumeClaim) => this.claimQueue.add(metaNamespaceKey(c));
    this.claims.addEventHandler({ onAdd: onClaim, onUpdate: (_o, c) => onClaim(c) });
    const onVolume = (v: PersistentVolume) => this.volumeQueue.add(v.metadata!.name!);
    this.volumes.addEventHandler({ onAdd: onVolume, onUpdate: (_o, v) => onVolume(v) });
  }

  async start(): Promise<void> {
    const infs = [this.claims, this.volumes, this.classes] as Array<Informer<PersistentVolumeClaim | PersistentVolume | StorageClass>>;
    for (const i of infs) i.start();
    await Promise.all(infs.map((i) => i.waitForSync()));
    const onError = (key: string, e: unknown) => this.o.log(`local-path ${key}: ${(e as Error)?.message ?? e}`);
    this.running = Promise.all([
      runWorkers(this.claimQueue, 1, (k) => this.syncClaim(k), { onError }),
      runWorkers(this.volumeQueue, 1, (k) => this.syncVolume(k), { onError }),
    ]);
  }

  async stop(): Promise<void> {
    this.claimQueue.shutDown();
    this.volumeQueue.shutDown();
    await Promise.all([this.claims.stop(), this.volumes.stop(), this.classes.stop()]);
    await this.running;
  }

  private async syncClaim(key: string): Promise<void> {
    const pvc = this.claims.getByKey(key);
    const a = pvc?.metadata?.annotations ?? {};
    if (!pvc || pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp) return;
    const node = a[ANN_SELECTED_NODE];
    if (a[ANN_STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER || !this.owns(node)) return;
    const cls = this.classes.getByKey(claimClass(pvc));
    if (cls && cls.provisioner !== LOCAL_PATH_PROVISIONER) return;
    const name = `pvc-${pvc.metadata!.uid}`;
    if (this.volumes.getByKey(name)) return;
    const dir = volumeDir(this.o.dataDir, pvc);
    this.o.recorder.event(pvc, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`);
    try {
      if (this.o.directories !== false) {
        mkdirSync(dir, { recursive: true });
        // Any container user may write, as k3s's provisioner makes it.
        chmodSync(dir, 0o777);
      }
      await this.o.client.create(resources.persistentvolumes, volumeFor(pvc, cls, node!, dir));
    } catch (e) {
      if (isAlreadyExists(e)) return;
      this.o.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${claimClass(pvc)}": ${(e as Error).message}`);
      throw e;
    }
    this.o.recorder.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`);
  }

  private async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.getByKey(name);
    if (!pv || !this.owns(localPathNodeOf(pv))) return;
    if (pv.status?.phase !== 'Released' || pv.spec?.persistentVolumeReclaimPolicy !== 'Delete' || pv.metadata?.deletionTimestamp) return;
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    // Only what this provisioner made: a directory under its own storage root.
    const root = join(this.o.dataDir, 'storage') + '/';
    if (this.o.directories !== false && path?.startsWith(root)) rmSync(path, { recursive: true, force: true });
    try {
      await this.o.client.delete({ ...resources.persistentvolumes, name });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
