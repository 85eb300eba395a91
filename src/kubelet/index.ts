// The kubelet core: what a node does whatever runs its containers, shared by the node agent
// (src/agent, real containers through CRI) and the simulator (src/sim, simulated ones).
// - lease: the node's Lease in kube-node-lease, written with a compare-and-swap, and its renewer;
// - node-conditions: the Node's conditions and the labels and annotations a kubelet registers with;
// - node-object, node-registration, node-status: the Node a kubelet registers, its registration
//   (create, or adopt one of that name), and the status loop's rules (10 s checks, a post when
//   something changed or 5 min passed);
// - pod-phase: a pod's phase from its container statuses (upstream's getPhase), and what a sidecar is;
// - pod-conditions: the pod conditions a kubelet owns (upstream's status/generate.go) and their merge;
// - pod-status: a pod's whole status from what its runtime shows (upstream's generateAPIPodStatus),
//   the agent's view built from CRI, the simulator's from its plan;
// - pod-worker-state: a pod's lifecycle on its node (syncing, terminating, terminated, finished)
//   and its one transition function (upstream's pod_workers.go);
// - backoff: container restart and image pull back-off (client-go's flowcontrol.Backoff);
// - serving-cert, endpoint-tls: the kubelet endpoint's serving certificate, requested by CSR and
//   rotated, its TLS options and who may use it (the API server's client certificate only);
// - container-logs: kubectl's log options and the timestamps the log endpoint prints.
export {
  NODE_LEASE_NAMESPACE,
  NODE_LEASE_DURATION_SECONDS,
  NODE_LEASE_RENEW_INTERVAL_MS,
  LeaseRenewer,
  ensureNodeLeaseNamespace,
  nodeLease,
  writeNodeLease,
  type LeaseRenewerOptions,
  type NodeLeaseInput,
} from './lease.js';
export {
  KUBELET_READY,
  NO_PRESSURE,
  kubeletNotReady,
  nodeAnnotations,
  nodeConditionBodies,
  wellKnownNodeLabels,
  type NodeConditionBody,
  type NodePressure,
} from './node-conditions.js';
export { kubeletNodeObject, kubeletNodeStatus, type NodeResources, type NodeStatusFacts } from './node-object.js';
export { registerNode, type RegisterNodeOptions } from './node-registration.js';
export { NODE_STATUS_REPORT_FREQUENCY_MS, NODE_STATUS_UPDATE_FREQUENCY_MS, NodeStatusTracker, patchNodeStatus, reportNodeStatus } from './node-status.js';
export {
  KUBELET_CONDITIONS,
  POD_READY_TO_START_CONTAINERS,
  POD_INITIALIZED,
  POD_READY,
  CONTAINERS_READY,
  containersReadyCondition,
  initializedCondition,
  mergeConditions,
  podReadyToStartContainersCondition,
  readyCondition,
  type Condition,
} from './pod-conditions.js';
export { isRestartableInit, podPhase } from './pod-phase.js';
export { CONTAINER_STATUS_UNKNOWN_MESSAGE, CONTAINER_STATUS_UNKNOWN_REASON, computePodStatus, type ContainerView, type PodView } from './pod-status.js';
export {
  InvalidPodWorkerTransition,
  SYNCING,
  describePodWorkerState,
  podWorkerTransition,
  type PodWorkerEvent,
  type PodWorkerState,
  type TerminationReason,
} from './pod-worker-state.js';
export { Backoff, CONTAINER_BACKOFF_INITIAL_MS, CONTAINER_BACKOFF_MAX_MS, restartBackoffMs } from './backoff.js';
export { ServingCertManager, servingCsr, usableServingCert } from './serving-cert.js';
export {
  answeredHealthz,
  closeEndpoint,
  containerLogsTarget,
  kubeletClientRefusal,
  kubeletEndpointTls,
  listenEndpoint,
  type ServingCert,
} from './endpoint-tls.js';
export { fixedNanoTimestamp, type LogOptions } from './container-logs.js';
