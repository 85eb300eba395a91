// The scheduling framework's extension points, as upstream's (pkg/scheduler/framework/interface.go):
// a plugin is an object with a name and any of these methods. Per-pod work is done once in
// preFilter/preScore and kept in the CycleState; filter/score run once per node and only read it.
import type { Namespace, Node, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { CSINode } from 'kubernetes-types/storage/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { Status } from './status.js';
import type { AffinityIndex } from './affinity-index.js';

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

/** Data plugins share within one scheduling cycle of one pod, keyed by plugin. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins that returned Skip from PreFilter / PreScore for this pod. */
  readonly skipFilterPlugins = new Set<string>();
  readonly skipScorePlugins = new Set<string>();
  /** The filter plugins left after PreFilter's skips, worked out once per cycle (framework runtime). */
  activeFilters: unknown[] | undefined;
  /** The same, the most selective first (framework runtime's runFilter with fast = true). */
  activeFastFilters: unknown[] | undefined;

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  /** Preemption simulates removing pods on a copy; values with a clone() method are copied deeply. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) {
      const cloneable = v as { clone?: () => unknown };
      c.data.set(k, typeof cloneable?.clone === 'function' ? cloneable.clone() : v);
    }
    for (const p of this.skipFilterPlugins) c.skipFilterPlugins.add(p);
    c.activeFilters = this.activeFilters;
    c.activeFastFilters = this.activeFastFilters;
    for (const p of this.skipScorePlugins) c.skipScorePlugins.add(p);
    return c;
  }
}

/** An immutable view of the cluster for one scheduling cycle. */
export interface Snapshot {
  nodeInfos(): NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** Nodes with at least one pod that has (anti-)affinity terms. */
  havePodsWithAffinity(): NodeInfo[];
  havePodsWithRequiredAntiAffinity(): NodeInfo[];
  /** Labels of a namespace, for namespaceSelector in affinity terms. */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** The values a topology key takes over the nodes (PodTopologySpread's domains), cached. */
  topologyDomains(key: string): ReadonlySet<string>;
  /** Inter-pod affinity counts maintained as pods come and go (InterPodAffinity reads them). */
  affinityIndex(): AffinityIndex;
}

export interface NodeScore {
  name: string;
  score: number;
}

export interface PreFilterResult {
  /** When set, only these nodes need to be filtered at all. */
  nodeNames?: Set<string>;
}

/** What a plugin can reach: the cycle's snapshot and a few cluster facts. */
export interface Handle {
  snapshot(): Snapshot;
  namespaces?(): Namespace[];
  /**
   * The selector of the controller owning the pod (ReplicaSet, ReplicationController or
   * StatefulSet; a RC's map as matchLabels), merged with those of Services selecting it when
   * there are any: PodTopologySpread builds its default constraints from it.
   */
  ownerSelector?(pod: Pod): LabelSelector | undefined;
}

export interface Plugin {
  readonly name: string;
}

export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: Pod): Status;
}

export interface PreFilterExtensions {
  /** Preemption: account for a pod added to nodeInfo in this cycle's state. */
  addPod(state: CycleState, podToSchedule: Pod, podInfoToAdd: PodInfo, nodeInfo: NodeInfo): Status;
  /** Preemption: account for a victim removed from nodeInfo. */
  removePod(state: CycleState, podToSchedule: Pod, podInfoToRemove: PodInfo, nodeInfo: NodeInfo): Status;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]): { result?: PreFilterResult; status: Status };
  preFilterExtensions?(): PreFilterExtensions | undefined;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
}

export interface PostFilterResult {
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: Pod, filteredNodeStatus: Map<string, Status>): Promise<{ result?: PostFilterResult; status: Status }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status;
}

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status };
  /** Scales this plugin's raw scores into [0, MAX_NODE_SCORE] in place. */
  normalizeScore?(state: CycleState, pod: Pod, scores: NodeScore[]): Status;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs?: number };
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void;
}

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod was first added to the queue (ms). */
  initialAttemptTimestamp: number;
  /** When the pod was last added to the queue (ms). */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected the pod in its last attempt: only their events requeue it. */
  unschedulablePlugins: Set<string>;
  /** When its current scheduling attempt started (performance.now() ms), for the attempt metrics. */
  cycleStart?: number;
}

// Cluster events that can make a rejected pod schedulable (upstream framework.ClusterEvent).
export type EventResource = 'Pod' | 'AssignedPod' | 'UnscheduledPod' | 'Node' | 'Namespace' | 'PersistentVolumeClaim' | 'PersistentVolume' | 'CSINode' | '*';
export type ActionType =
  | 'Add'
  | 'Delete'
  | 'UpdateNodeAllocatable'
  | 'UpdateNodeLabel'
  | 'UpdateNodeTaint'
  | 'UpdateNodeCondition'
  | 'UpdateNodeAnnotation'
  | 'UpdatePodLabel'
  | 'UpdatePodScaleDown'
  | 'UpdatePodTolerations'
  | 'UpdatePodSchedulingGatesEliminated'
  | 'Update'
  | 'All';

export interface ClusterEvent {
  resource: EventResource;
  actions: ActionType[];
}

export enum QueueingHint {
  Skip = 0,
  Queue = 1,
}

/** The objects a cluster event carries to queueing hints (old and new). */
export type EventObject = Node | Pod | PersistentVolumeClaim | CSINode;

export interface ClusterEventWithHint {
  event: ClusterEvent;
  /** Whether this particular change may make `pod` schedulable; absent means always Queue. */
  hint?: (pod: Pod, oldObj: EventObject | undefined, newObj: EventObject | undefined) => QueueingHint;
}

export interface EnqueueExtensions {
  eventsToRegister(): ClusterEventWithHint[];
}

/** Arguments of a plugin from the scheduler configuration (pluginConfig[].args), validated by New. */
export type PluginArgs = Record<string, unknown>;

export type PluginFactory = (args: PluginArgs | undefined, handle: Handle) => Plugin;
