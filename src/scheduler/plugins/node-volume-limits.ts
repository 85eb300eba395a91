// NodeVolumeLimits (upstream pkg/scheduler/framework/plugins/nodevolumelimits, CSILimits): a node
// can attach only so many volumes of each CSI driver, as its CSINode says
// (spec.drivers[].allocatable.count) or, without one there, its Node's allocatable
// `attachable-volumes-csi-<driver>` (older kubelets' way, which older upstream releases read
// with the CSINode winning; today's upstream reads the CSINode only). Filter counts, per
// driver, the unique volumes the node's pods already use plus the ones this pod would add: a
// volume two pods share counts once (its driver/volumeHandle); an unbound claim counts as a
// volume of its class's provisioner, unique to the claim. A node with neither kind of limit
// takes any number.
// Not here, as Berth has none of them: in-tree cloud volumes migrated to CSI (their translation),
// VolumeAttachments (upstream also counts those of the node), and the alpha
// CSIDriver.spec.preventPodSchedulingIfMissing.
import { createHash, randomBytes } from 'node:crypto';
import type { Node, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { CSINode } from 'kubernetes-types/storage/v1';
import type { NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
import {
  QueueingHint,
  type ClusterEventWithHint,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type PluginArgs,
  type PreFilterPlugin,
} from '../framework/types.js';
import { checkArgs } from './helpers.js';
import type { VolumeLister } from './volume-binding.js';
import { claimClass } from '../../controllers/volume/matching.js';
import { quantityOf } from '../../api/quantity.js';

export const NAME = 'NodeVolumeLimits';
export const ERR_MAX_VOLUME_COUNT = 'node(s) exceed max volume count';
const CSI_ATTACH_LIMIT_PREFIX = 'attachable-volumes-csi-';
const RESOURCE_NAME_LENGTH_LIMIT = 63;
const STATE_KEY = NAME;

/** The scheduler's informer of CSINodes, by node name. */
export interface CSINodeLister {
  csiNode(nodeName: string): CSINode | undefined;
}

/**
 * The Node allocatable resource holding a driver's attach limit (upstream GetCSIAttachLimitKey):
 * a name too long for a resource name keeps 23 characters of the driver and a hash of it all.
 */
export function attachLimitKey(driver: string): string {
  if (CSI_ATTACH_LIMIT_PREFIX.length + driver.length < RESOURCE_NAME_LENGTH_LIMIT) return CSI_ATTACH_LIMIT_PREFIX + driver;
  const hash = createHash('sha1').update(driver).digest('hex').slice(0, 16);
  return CSI_ATTACH_LIMIT_PREFIX + driver.slice(0, 23) + hash;
}

/** The attach limits of a node, by limit key: its Node's allocatable, overridden by its CSINode's counts. */
export function volumeLimits(node: Node | undefined, csiNode: CSINode | undefined): Map<string, number> {
  const limits = new Map<string, number>();
  for (const [k, v] of Object.entries(node?.status?.allocatable ?? {})) {
    const q = k.startsWith(CSI_ATTACH_LIMIT_PREFIX) ? quantityOf(v) : undefined;
    if (q) limits.set(k, q.value());
  }
  for (const d of csiNode?.spec?.drivers ?? []) {
    if (typeof d.allocatable?.count === 'number') limits.set(attachLimitKey(d.name), d.allocatable.count);
  }
  return limits;
}

/** Volume unique name (driver/handle) -> limit key, for one or more pods. */
type Attachable = Map<string, string>;

/** PreFilter's result for this pod: its volumes, or why it cannot be counted (a missing claim). */
interface PodVolumes {
  volumes: Attachable;
  error?: Status;
}

/** A generic ephemeral volume's claim is `<pod>-<volume>` (upstream ephemeral.VolumeClaimName). */
const claimNameOf = (pod: Pod, v: NonNullable<NonNullable<Pod['spec']>['volumes']>[number]) =>
  v.persistentVolumeClaim ? v.persistentVolumeClaim.claimName : v.ephemeral ? `${pod.metadata?.name}-${v.name}` : undefined;

const usesClaims = (pod: Pod) => (pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim || v.ephemeral);

export class NodeVolumeLimits implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  static readonly NAME = NAME;
  readonly name = NAME;
  /**
   * Prefix of the made-up handle of an unbound claim's volume, so it matches no real handle.
   * If the claim gets bound meanwhile, one volume may be counted twice (as upstream accepts).
   */
  private readonly unboundPrefix = randomBytes(16).toString('hex');

  constructor(
    args: PluginArgs | undefined,
    private readonly handle: Handle & { volumes?: VolumeLister; csiNodes?: CSINodeLister },
  ) {
    checkArgs(NAME, args);
  }

  /** Only pods with claims (PVCs or generic ephemeral volumes) can reach a limit. */
  preFilter(state: CycleState, pod: Pod): { status: Status } {
    if (!usesClaims(pod) || !this.handle.volumes) return { status: Status.skip() };
    const own: PodVolumes = { volumes: new Map() };
    own.error = this.attachableVolumes(pod, true, own.volumes);
    state.write(STATE_KEY, own);
    return { status: Status.success() };
  }

  filter(state: CycleState, _pod: Pod, nodeInfo: NodeInfo): Status {
    const own = state.read<PodVolumes>(STATE_KEY);
    if (!own) return Status.success();
    if (own.error) return own.error;
    if (!own.volumes.size) return Status.success();
    const limits = volumeLimits(nodeInfo.node, this.handle.csiNodes?.csiNode(nodeInfo.node?.metadata?.name ?? ''));
    if (!limits.size) return Status.success();

    const attached: Attachable = new Map();
    for (const info of nodeInfo.pods) this.attachableVolumes(info.pod, false, attached);
    const inUse = new Map<string, number>();
    for (const key of attached.values()) inUse.set(key, (inUse.get(key) ?? 0) + 1);
    const adding = new Map<string, number>();
    for (const [unique, key] of own.volumes) if (!attached.has(unique)) adding.set(key, (adding.get(key) ?? 0) + 1);
    for (const [key, count] of adding) {
      const max = limits.get(key);
      if (max !== undefined && (inUse.get(key) ?? 0) + count > max) return Status.unschedulable(ERR_MAX_VOLUME_COUNT);
    }
    return Status.success();
  }

  /**
   * Adds the pod's CSI volumes to `out`. For the pod being scheduled a missing claim, or an
   * ephemeral claim another owner holds, is the answer for every node; an existing pod's such
   * volumes are just not counted.
   */
  private attachableVolumes(pod: Pod, newPod: boolean, out: Attachable): Status | undefined {
    const lister = this.handle.volumes!;
    const ns = pod.metadata?.namespace ?? 'default';
    for (const v of pod.spec?.volumes ?? []) {
      const claimName = claimNameOf(pod, v);
      if (claimName === undefined) continue;
      if (!claimName) return Status.error('PersistentVolumeClaim had no name');
      const claim = lister.claim(ns, claimName);
      if (!claim) {
        if (newPod) return Status.unresolvable(`looking up PVC ${ns}/${claimName}: persistentvolumeclaim "${claimName}" not found`);
        continue;
      }
      if (v.ephemeral && !claim.metadata?.ownerReferences?.some((o) => o.controller && o.uid === pod.metadata?.uid)) {
        if (newPod) return Status.error(`PVC ${ns}/${claimName} was not created for pod ${ns}/${pod.metadata?.name} (pod is not owner)`);
        continue;
      }
      const info = this.driverAndHandle(claim);
      if (info) out.set(`${info.driver}/${info.handle}`, attachLimitKey(info.driver));
    }
    return undefined;
  }

  /** The CSI driver and volume handle of a claim's volume; for an unbound claim, its class's provisioner and a handle of its own. */
  private driverAndHandle(claim: PersistentVolumeClaim): { driver: string; handle: string } | undefined {
    const lister = this.handle.volumes!;
    const pv = claim.spec?.volumeName ? lister.volume(claim.spec.volumeName) : undefined;
    if (pv) {
      const csi = pv.spec?.csi;
      return csi?.driver && csi.volumeHandle ? { driver: csi.driver, handle: csi.volumeHandle } : undefined;
    }
    // Unbound, or bound to a volume not seen yet: the class says which driver will provide it.
    // Without a class the claim binds (Immediate) before scheduling: nothing to count yet.
    const className = claimClass(claim);
    const provisioner = className ? lister.storageClass(className)?.provisioner : undefined;
    if (!provisioner) return undefined;
    return { driver: provisioner, handle: `${this.unboundPrefix}-${claim.metadata?.namespace}/${claim.metadata?.name}` };
  }

  /**
   * What may make room, as upstream's hints: any new CSINode; a CSINode whose count for some
   * driver went up; a claim this pod names being created (it was missing); a volume appearing
   * (its driver becomes known); a pod with claims leaving its node.
   */
  eventsToRegister(): ClusterEventWithHint[] {
    return [
      { event: { resource: 'CSINode', actions: ['Add'] } },
      { event: { resource: 'CSINode', actions: ['Update'] }, hint: (_pod, oldObj, newObj) => limitRaised(oldObj as CSINode, newObj as CSINode) },
      {
        event: { resource: 'AssignedPod', actions: ['Delete'] },
        hint: (_pod, oldObj) => (oldObj && usesClaims(oldObj as Pod) ? QueueingHint.Queue : QueueingHint.Skip),
      },
      { event: { resource: 'PersistentVolumeClaim', actions: ['Add'] }, hint: (pod, _old, newObj) => namesClaim(pod, newObj as PersistentVolumeClaim) },
      { event: { resource: 'PersistentVolume', actions: ['Add'] } },
    ];
  }
}

const countsOf = (n: CSINode | undefined) => new Map((n?.spec?.drivers ?? []).map((d) => [d.name, d.allocatable?.count ?? 0]));

/** Upstream's isSchedulableAfterCSINodeUpdated: some driver's count is higher than before (a new driver's is compared with 0). */
function limitRaised(old: CSINode | undefined, updated: CSINode | undefined): QueueingHint {
  const before = countsOf(old);
  for (const [driver, count] of countsOf(updated)) if (count > (before.get(driver) ?? 0)) return QueueingHint.Queue;
  return QueueingHint.Skip;
}

/** Upstream's isSchedulableAfterPVCAdded: the claim is one of the pod's (by name, in its namespace). */
function namesClaim(pod: Pod, claim: PersistentVolumeClaim | undefined): QueueingHint {
  if (!claim || (claim.metadata?.namespace ?? 'default') !== (pod.metadata?.namespace ?? 'default')) return QueueingHint.Skip;
  return (pod.spec?.volumes ?? []).some((v) => claimNameOf(pod, v) === claim.metadata?.name) ? QueueingHint.Queue : QueueingHint.Skip;
}
