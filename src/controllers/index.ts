// The controllers kube-controller-manager runs, by their upstream names, and the manager that
// starts them on shared informers.
import { setMaxListeners } from 'node:events';
import type { RestClient, SharedInformerFactory } from '../client/index.js';
import { newControllerContext, withClient, type Controller, type ControllerContext } from './context.js';
import { newClusterRoleAggregationController } from './clusterroleaggregation.js';
import { CsrApprovingController, CsrSigningController, type CsrSigningOptions } from './certificates/index.js';
import { newDeploymentController } from './deployment/index.js';
import { newGarbageCollector } from './garbagecollector/index.js';
import { newNamespaceController } from './namespace.js';
import { newNodeIpamController, type NodeIpamOptions } from './nodeipam/index.js';
import { newNodeLifecycleController, type NodeLifecycleOptions } from './nodelifecycle/index.js';
import { newPodGCController, type PodGCOptions } from './podgc.js';
import { newReplicaSetController, newReplicationControllerController } from './replicaset.js';
import { newEndpointSliceController, type EndpointSliceControllerOptions } from './endpointslice/index.js';
import { newEndpointsController } from './endpoints/index.js';
import { newServiceLBController } from './servicelb.js';
import { newJobController, newTTLAfterFinishedController, type JobControllerOptions } from './job/index.js';
import { newCronJobController } from './cronjob/index.js';
import { newDisruptionController } from './disruption/index.js';
import { newDaemonSetController } from './daemonset/index.js';
import { newResourceQuotaController, type ResourceQuotaControllerOptions } from './resourcequota/index.js';
import { newStatefulSetController } from './statefulset/index.js';
import {
  newPersistentVolumeController,
  newPvcProtectionController,
  newPvProtectionController,
  type PersistentVolumeControllerOptions,
} from './volume/index.js';

export { newControllerContext, type Controller, type ControllerContext } from './context.js';
export type { CsrSigningOptions } from './certificates/index.js';
export { DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE, podCidrsOf, type NodeIpamOptions } from './nodeipam/index.js';

export interface ControllerManagerOptions {
  nodeLifecycle?: NodeLifecycleOptions;
  podGC?: PodGCOptions;
  nodeIpam?: NodeIpamOptions;
  /** The CA that signs approved CSRs; without it requests are approved but not issued here. */
  csrSigning?: CsrSigningOptions;
  endpointSlice?: EndpointSliceControllerOptions;
  job?: JobControllerOptions;
  persistentVolume?: PersistentVolumeControllerOptions;
  /**
   * The client each controller acts with (its own identity, as upstream's
   * --use-service-account-credentials); absent: every controller uses the manager's client.
   * The shared informers always read through the manager's client.
   */
  clientFor?: (controller: ControllerName) => RestClient;
  resourceQuota?: ResourceQuotaControllerOptions;
  /** The process's shared informers (berth server); the controllers make their own without. */
  informers?: SharedInformerFactory;
}

export const CONTROLLER_NAMES = [
  'replicaset',
  'replicationcontroller',
  'deployment',
  'garbagecollector',
  'namespace',
  'nodelifecycle',
  'podgc',
  'nodeipam',
  'csrapproving',
  'csrsigning',
  'endpointslice',
  'endpoints',
  'service-lb',
  'clusterrole-aggregation',
  'job',
  'ttl-after-finished',
  'cronjob',
  'disruption',
  'daemonset',
  'resourcequota',
  'statefulset',
  'pvc-protection',
  'pv-protection',
  'persistentvolume-binder',
] as const;

export type ControllerName = (typeof CONTROLLER_NAMES)[number];

export function newControllers(ctx: ControllerContext, opts: ControllerManagerOptions = {}): Controller[] {
  // Each controller on the shared informers, writing with its own client when it has one.
  const as = (name: ControllerName) => (opts.clientFor ? withClient(ctx, opts.clientFor(name)) : ctx);
  return [
    newReplicaSetController(as('replicaset')),
    newReplicationControllerController(as('replicationcontroller')),
    newDeploymentController(as('deployment')),
    newGarbageCollector(as('garbagecollector')),
    newNamespaceController(as('namespace')),
    newNodeLifecycleController(as('nodelifecycle'), opts.nodeLifecycle),
    newPodGCController(as('podgc'), opts.podGC),
    ...(opts.nodeIpam?.allocateNodeCidrs === false ? [] : [newNodeIpamController(as('nodeipam'), opts.nodeIpam)]),
    new CsrApprovingController(as('csrapproving')),
    ...(opts.csrSigning ? [new CsrSigningController(as('csrsigning'), opts.csrSigning)] : []),
    newEndpointSliceController(as('endpointslice'), opts.endpointSlice),
    newEndpointsController(as('endpoints')),
    newServiceLBController(as('service-lb')),
    newClusterRoleAggregationController(as('clusterrole-aggregation')),
    newJobController(as('job'), opts.job),
    newTTLAfterFinishedController(as('ttl-after-finished')),
    newCronJobController(as('cronjob')),
    newDisruptionController(as('disruption')),
    newDaemonSetController(as('daemonset')),
    newResourceQuotaController(as('resourcequota'), opts.resourceQuota),
    newStatefulSetController(as('statefulset')),
    newPvcProtectionController(as('pvc-protection')),
    newPvProtectionController(as('pv-protection')),
    newPersistentVolumeController(as('persistentvolume-binder'), opts.persistentVolume),
  ];
}

/** Builds every controller on one set of shared informers, syncs them, and runs until signal. */
export async function runControllers(client: RestClient, signal: AbortSignal, log: (m: string) => void, opts: ControllerManagerOptions = {}): Promise<void> {
  const ctx = newControllerContext(client, log, opts.informers);
  const controllers = newControllers(ctx, opts);
  // Each controller listens for the stop: more of them than node's default warning threshold.
  setMaxListeners(4 * controllers.length, signal);
  await ctx.informers.start();
  try {
    await Promise.all(controllers.map((c) => c.run(signal)));
    if (!signal.aborted) await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
  } finally {
    await ctx.informers.stop();
  }
}
