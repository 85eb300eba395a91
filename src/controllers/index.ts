// The controllers kube-controller-manager runs, by their upstream names, and the manager that
// starts them on shared informers.
import { setMaxListeners } from 'node:events';
import type { RestClient, SharedInformerFactory } from '../client/index.js';
import { newControllerContext, type Controller, type ControllerContext } from './context.js';
import { newClusterRoleAggregationController } from './clusterroleaggregation.js';
import { newCsrControllers, type CsrSigningOptions } from './certificates/index.js';
import { newDeploymentController } from './deployment/index.js';
import { newGarbageCollector } from './garbagecollector/index.js';
import { newNamespaceController } from './namespace.js';
import { newNodeIpamController, type NodeIpamOptions } from './nodeipam/index.js';
import { newNodeLifecycleController, type NodeLifecycleOptions } from './nodelifecycle/index.js';
import { newPodGCController, type PodGCOptions } from './podgc.js';
import { newReplicaSetController } from './replicaset.js';
import { newEndpointSliceController, type EndpointSliceControllerOptions } from './endpointslice/index.js';
import { newEndpointsController } from './endpoints/index.js';
import { newServiceLBController } from './servicelb.js';
import { newJobController, newTTLAfterFinishedController, type JobControllerOptions } from './job/index.js';
import { newCronJobController } from './cronjob/index.js';

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
  /** The process's shared informers (berth server); the controllers make their own without. */
  informers?: SharedInformerFactory;
}

export const CONTROLLER_NAMES = [
  'replicaset',
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
] as const;

export function newControllers(ctx: ControllerContext, opts: ControllerManagerOptions = {}): Controller[] {
  return [
    newReplicaSetController(ctx),
    newDeploymentController(ctx),
    newGarbageCollector(ctx),
    newNamespaceController(ctx),
    newNodeLifecycleController(ctx, opts.nodeLifecycle),
    newPodGCController(ctx, opts.podGC),
    ...(opts.nodeIpam?.allocateNodeCidrs === false ? [] : [newNodeIpamController(ctx, opts.nodeIpam)]),
    ...newCsrControllers(ctx, opts.csrSigning),
    newEndpointSliceController(ctx, opts.endpointSlice),
    newEndpointsController(ctx),
    newServiceLBController(ctx),
    newClusterRoleAggregationController(ctx),
    newJobController(ctx, opts.job),
    newTTLAfterFinishedController(ctx),
    newCronJobController(ctx),
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
