// Who each Berth component is when it calls the API server, as upstream's components are: the
// scheduler is the user system:kube-scheduler, the controller manager system:kube-controller-manager
// (its leader election and shared informers), and each controller the kube-system ServiceAccount
// upstream's kube-controller-manager --use-service-account-credentials gives it. The default RBAC
// policy (apiserver/authz/bootstrap-policy.ts) grants each exactly its upstream role.
import type { ControllerName } from '../controllers/index.js';

export interface ComponentIdentity {
  user: string;
  groups: string[];
}

export const KUBE_SCHEDULER: ComponentIdentity = { user: 'system:kube-scheduler', groups: [] };
export const KUBE_CONTROLLER_MANAGER: ComponentIdentity = { user: 'system:kube-controller-manager', groups: [] };
/**
 * The default/kubernetes endpoints reconciler every `berth server` runs. Upstream's runs inside
 * kube-apiserver on its privileged loopback identity; Berth's calls over HTTPS, so it gets a user
 * of its own with only the Leases and endpoints it writes (berth:controller:apiserver-endpoints).
 */
export const APISERVER_ENDPOINTS: ComponentIdentity = { user: 'system:berth:apiserver-endpoints', groups: [] };

/** Where the controllers' ServiceAccounts live. */
export const CONTROLLER_NAMESPACE = 'kube-system';

/**
 * The ServiceAccount each controller acts as, by upstream's names (cmd/kube-controller-manager's
 * ClientBuilder.ClientOrDie(...)). Controllers upstream runs under one account share it: node
 * lifecycle and node IPAM run as node-controller, the CSR approver and signer as
 * certificate-controller; ServiceLB does the job of upstream's service controller (the
 * load-balancer status of Services) and runs as service-controller.
 */
export const CONTROLLER_SERVICE_ACCOUNTS: Record<ControllerName, string> = {
  replicaset: 'replicaset-controller',
  replicationcontroller: 'replication-controller',
  disruption: 'disruption-controller',
  daemonset: 'daemon-set-controller',
  resourcequota: 'resourcequota-controller',
  statefulset: 'statefulset-controller',
  deployment: 'deployment-controller',
  garbagecollector: 'generic-garbage-collector',
  namespace: 'namespace-controller',
  nodelifecycle: 'node-controller',
  podgc: 'pod-garbage-collector',
  nodeipam: 'node-controller',
  csrapproving: 'certificate-controller',
  csrsigning: 'certificate-controller',
  endpointslice: 'endpointslice-controller',
  endpoints: 'endpoint-controller',
  'service-lb': 'service-controller',
  'clusterrole-aggregation': 'clusterrole-aggregation-controller',
  job: 'job-controller',
  'ttl-after-finished': 'ttl-after-finished-controller',
  cronjob: 'cronjob-controller',
  'pvc-protection': 'pvc-protection-controller',
  'pv-protection': 'pv-protection-controller',
  'persistentvolume-binder': 'persistent-volume-binder',
};

/** A ServiceAccount as the API server authenticates it (upstream's serviceaccount.UserInfo). */
export function serviceAccountIdentity(namespace: string, name: string): ComponentIdentity {
  return { user: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] };
}

export function controllerIdentity(controller: ControllerName): ComponentIdentity {
  return serviceAccountIdentity(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNTS[controller]);
}

/** Every controller ServiceAccount, each once. */
export function controllerServiceAccounts(): string[] {
  return [...new Set(Object.values(CONTROLLER_SERVICE_ACCOUNTS))];
}
