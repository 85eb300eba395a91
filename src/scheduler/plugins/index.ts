// The in-tree plugins by their upstream names: what a scheduler configuration can enable.
import type { RestClient } from '../../client/index.js';
import type { Handle, Plugin, PluginArgs } from '../framework/types.js';
import { DefaultBinder } from './default-binder.js';
import { DefaultPreemption, type PreemptionHandle } from './default-preemption.js';
import { ImageLocality } from './image-locality.js';
import { InterPodAffinity } from './inter-pod-affinity.js';
import { NodeAffinity } from './node-affinity.js';
import { NodeName } from './node-name.js';
import { NodePorts } from './node-ports.js';
import { NodeResourcesBalancedAllocation } from './node-resources-balanced-allocation.js';
import { NodeResourcesFit } from './node-resources-fit.js';
import { NodeUnschedulable } from './node-unschedulable.js';
import { NodeVolumeLimits, type CSINodeLister } from './node-volume-limits.js';
import { PodTopologySpread } from './pod-topology-spread.js';
import { PrioritySort } from './priority-sort.js';
import { SchedulingGates } from './scheduling-gates.js';
import { TaintToleration } from './taint-toleration.js';
import { VolumeBinding, type VolumeLister } from './volume-binding.js';
import { VolumeRestrictions } from './volume-restrictions.js';

/** Everything a plugin may reach in a running scheduler. */
export interface SchedulerHandle extends PreemptionHandle {
  client: RestClient;
  /** The claims, volumes and classes VolumeBinding reads. */
  volumes?: VolumeLister;
  /** The CSINodes NodeVolumeLimits reads. */
  csiNodes?: CSINodeLister;
  /** Whether the scheduler is stopping: long waits (VolumeBinding's PreBind) give up. */
  stopping?(): boolean;
}

export type PluginFactory = (args: PluginArgs | undefined, handle: Handle) => Plugin;

export function pluginRegistry(): Map<string, PluginFactory> {
  const h = (handle: Handle) => handle as SchedulerHandle;
  return new Map<string, PluginFactory>([
    ['PrioritySort', (a, handle) => new PrioritySort(a, handle)],
    ['SchedulingGates', (a, handle) => new SchedulingGates(a, handle)],
    ['NodeUnschedulable', (a, handle) => new NodeUnschedulable(a, handle)],
    ['NodeName', (a, handle) => new NodeName(a, handle)],
    ['TaintToleration', (a, handle) => new TaintToleration(a, handle)],
    ['NodeAffinity', (a, handle) => new NodeAffinity(a, handle)],
    ['NodePorts', (a, handle) => new NodePorts(a, handle)],
    ['NodeResourcesFit', (a, handle) => new NodeResourcesFit(a, handle)],
    ['VolumeRestrictions', (a, handle) => new VolumeRestrictions(a, h(handle))],
    ['NodeVolumeLimits', (a, handle) => new NodeVolumeLimits(a, h(handle))],
    ['VolumeBinding', (a, handle) => new VolumeBinding(a, h(handle))],
    ['PodTopologySpread', (a, handle) => new PodTopologySpread(a, handle)],
    ['InterPodAffinity', (a, handle) => new InterPodAffinity(a, handle)],
    ['DefaultPreemption', (a, handle) => new DefaultPreemption(a, h(handle))],
    ['NodeResourcesBalancedAllocation', (a, handle) => new NodeResourcesBalancedAllocation(a, handle)],
    ['ImageLocality', (a, handle) => new ImageLocality(a, handle)],
    ['DefaultBinder', (a, handle) => new DefaultBinder(a, h(handle))],
  ]);
}
