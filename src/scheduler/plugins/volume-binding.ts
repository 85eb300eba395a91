// VolumeBinding (upstream pkg/scheduler/framework/plugins/volumebinding): a pod's claims decide
// where it may run. PreFilter sorts them: a missing or deleting claim, or an unbound claim of an
// Immediate class, rejects the pod (the PV controller binds those); bound claims bring their
// volumes, unbound WaitForFirstConsumer claims wait for this pod's node. Filter keeps the nodes
// every bound volume's node affinity admits, and where each waiting claim either has an
// Available volume (of its class, modes and size, reachable from the node) or a provisioner.
// Reserve records the choice for the chosen node; PreBind writes it (a static volume's claimRef,
// else the claim's volume.kubernetes.io/selected-node for the provisioner) and waits until every
// claim is Bound, as upstream, so the pod reaches its node with volumes it can mount.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { resources, sleep, type RestClient } from '../../client/index.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
import type {
  ClusterEventWithHint,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  Handle,
  PluginArgs,
  PreBindPlugin,
  PreFilterPlugin,
  ReservePlugin,
} from '../framework/types.js';
import { checkArgs, nodeMatchesNodeSelectorTerms } from './helpers.js';
import { claimClass, mismatch } from '../../controllers/volume/matching.js';
import { quantityOf } from '../../api/quantity.js';
import { ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE } from '../../api/volume-annotations.js';

export const NAME = 'VolumeBinding';
export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_NO_VOLUME = "node(s) didn't find available persistent volumes to bind";
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
/** A class whose volumes are only ever made by hand (upstream's marker provisioner). */
const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
const STATE_KEY = 'VolumeBinding';

/** What the plugin reads: the scheduler's informers of claims, volumes and classes. */
export interface VolumeLister {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
}

interface PodVolumes {
  bound: PersistentVolume[];
  /** Unbound WaitForFirstConsumer claims, with their class. */
  delayed: Array<{ claim: PersistentVolumeClaim; cls: StorageClass }>;
  /** Reserve's decision: volumes to bind statically, claims to provision. */
  staticBindings?: Array<{ pv: PersistentVolume; claim: PersistentVolumeClaim }>;
  provision?: PersistentVolumeClaim[];
}

/** The claims a pod's volumes name (persistentVolumeClaim sources and generic ephemeral volumes). */
function claimNames(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) =>
    v.persistentVolumeClaim?.claimName ? [v.persistentVolumeClaim.claimName] : v.ephemeral ? [`${pod.metadata?.name}-${v.name}`] : [],
  );
}

function volumeFitsNode(pv: PersistentVolume, node: Node | undefined): boolean {
  const required = pv.spec?.nodeAffinity?.required;
  return !required || nodeMatchesNodeSelectorTerms(node, required);
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin, EnqueueExtensions {
  static readonly NAME = NAME;
  readonly name = NAME;
  private readonly bindTimeoutMs: number;

  constructor(
    args: PluginArgs | undefined,
    private readonly handle: Handle & { client: RestClient; volumes?: VolumeLister; stopping?(): boolean },
  ) {
    checkArgs(NAME, args, ['bindTimeoutSeconds']);
    this.bindTimeoutMs = 1000 * Number(args?.bindTimeoutSeconds ?? 600);
  }

  preFilter(state: CycleState, pod: Pod): { status: Status } {
    const names = claimNames(pod);
    const lister = this.handle.volumes;
    if (!names.length || !lister) return { status: Status.skip() };
    const ns = pod.metadata?.namespace ?? 'default';
    const pv: PodVolumes = { bound: [], delayed: [] };
    for (const name of names) {
      const claim = lister.claim(ns, name);
      if (!claim) return { status: Status.unresolvable(`persistentvolumeclaim "${name}" not found`) };
      if (claim.metadata?.deletionTimestamp) return { status: Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`) };
      const volumeName = claim.spec?.volumeName;
      if (volumeName) {
        const vol = lister.volume(volumeName);
        // Bound in the claim but the volume not seen yet: wait for it as upstream does.
        if (!vol) return { status: Status.unresolvable(`pvc(s) bound to non-existent pv(s)`) };
        pv.bound.push(vol);
        continue;
      }
      const cls = lister.storageClass(claimClass(claim));
      if (cls?.volumeBindingMode !== 'WaitForFirstConsumer') return { status: Status.unresolvable(ERR_UNBOUND_IMMEDIATE) };
      pv.delayed.push({ claim, cls });
    }
    state.write(STATE_KEY, pv);
    return { status: Status.success() };
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const pv = state.read<PodVolumes>(STATE_KEY);
    if (!pv) return Status.success();
    if (pv.bound.some((v) => !volumeFitsNode(v, nodeInfo.node))) return Status.unresolvable(ERR_NODE_CONFLICT);
    return this.decide(pv, nodeInfo.node) ? Status.success() : Status.unschedulable(ERR_NO_VOLUME);
  }

  /** For each waiting claim: the smallest Available volume it fits on this node, or its provisioner; undefined if one has neither. */
  private decide(pv: PodVolumes, node: Node | undefined): { staticBindings: PodVolumes['staticBindings']; provision: PersistentVolumeClaim[] } | undefined {
    const staticBindings: NonNullable<PodVolumes['staticBindings']> = [];
    const provision: PersistentVolumeClaim[] = [];
    const taken = new Set<string>();
    for (const { claim, cls } of pv.delayed) {
      const candidates = this.handle
        .volumes!.volumes()
        .filter((v) => !v.spec?.claimRef && v.status?.phase === 'Available' && !taken.has(v.metadata!.name!) && !v.metadata?.deletionTimestamp)
        .filter((v) => mismatch(v, claim) === undefined && volumeFitsNode(v, node));
      // The smallest that fits, as the PV controller's own matching.
      candidates.sort((a, b) => quantityOf(a.spec?.capacity?.storage)!.cmp(quantityOf(b.spec?.capacity?.storage)!));
      const best = candidates[0];
      if (best) {
        taken.add(best.metadata!.name!);
        staticBindings.push({ pv: best, claim });
      } else if (cls.provisioner && cls.provisioner !== NO_PROVISIONER) provision.push(claim);
      else return undefined;
    }
    return { staticBindings, provision };
  }

  reserve(state: CycleState, _pod: Pod, nodeName: string): Status {
    const pv = state.read<PodVolumes>(STATE_KEY);
    if (!pv) return Status.success();
    const d = this.decide(pv, this.handle.snapshot().get(nodeName)?.node);
    if (!d) return Status.unschedulable(ERR_NO_VOLUME);
    pv.staticBindings = d.staticBindings;
    pv.provision = d.provision;
    return Status.success();
  }

  unreserve(state: CycleState): void {
    const pv = state.read<PodVolumes>(STATE_KEY);
    if (pv) pv.staticBindings = pv.provision = undefined;
  }

  async preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    const pv = state.read<PodVolumes>(STATE_KEY);
    if (!pv || !pv.delayed.length) return Status.success();
    const client = this.handle.client;
    try {
      for (const { pv: vol, claim } of pv.staticBindings ?? []) {
        const next = structuredClone(vol);
        next.spec!.claimRef = {
          kind: 'PersistentVolumeClaim',
          apiVersion: 'v1',
          namespace: claim.metadata!.namespace,
          name: claim.metadata!.name,
          uid: claim.metadata!.uid,
        };
        next.metadata!.annotations = { ...(next.metadata!.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
        await client.update(resources.persistentvolumes, next);
      }
      for (const claim of pv.provision ?? []) {
        if (claim.metadata?.annotations?.[ANN_SELECTED_NODE] === nodeName) continue;
        await client.patch(
          { ...resources.persistentvolumeclaims, namespace: claim.metadata!.namespace!, name: claim.metadata!.name! },
          { metadata: { annotations: { [ANN_SELECTED_NODE]: nodeName } } },
          'merge',
        );
      }
    } catch (e) {
      return Status.error(`binding volumes: ${(e as Error).message}`);
    }
    // Upstream's PreBind returns once the PV controller (and provisioner) bound every claim.
    const ns = pod.metadata?.namespace ?? 'default';
    const deadline = Date.now() + this.bindTimeoutMs;
    while (Date.now() < deadline) {
      const pending = pv.delayed.filter(({ claim }) => !this.handle.volumes!.claim(ns, claim.metadata!.name!)?.spec?.volumeName);
      if (!pending.length) return Status.success();
      if (this.handle.stopping?.()) return Status.error('binding volumes: the scheduler is stopping');
      await sleep(100);
    }
    return Status.error('binding volumes: context deadline exceeded');
  }

  /** A claim added or changed (bound, provisioned) may let the pod in. */
  eventsToRegister(): ClusterEventWithHint[] {
    return [{ event: { resource: 'PersistentVolumeClaim', actions: ['Add', 'Update'] } }, { event: { resource: 'Node', actions: ['Add', 'UpdateNodeLabel'] } }];
  }
}
