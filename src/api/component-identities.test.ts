// The components' identities against the default RBAC policy, evaluated by the server's own RBAC
// authorizer: each may make the requests its code makes, and is refused what its role lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from './object.js';
import { RbacAuthorizer } from '../apiserver/authz/rbac.js';
import type { Attributes } from '../apiserver/authz/attributes.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles } from '../apiserver/authz/bootstrap-policy.js';
import { CONTROLLER_NAMES } from '../controllers/index.js';
import {
  APISERVER_ENDPOINTS,
  CONTROLLER_SERVICE_ACCOUNTS,
  KUBE_CONTROLLER_MANAGER,
  KUBE_SCHEDULER,
  controllerIdentity,
  controllerServiceAccounts,
  type ComponentIdentity,
} from './component-identities.js';

function defaultPolicy(): RbacAuthorizer {
  const clusterRoles = new Map(bootstrapClusterRoles().map((r) => [r.metadata!.name!, r as unknown as KObject]));
  const roles = new Map(bootstrapRoles().map((r) => [`${r.metadata!.namespace}/${r.metadata!.name}`, r as unknown as KObject]));
  const a = new RbacAuthorizer({ role: (ns, n) => roles.get(`${ns}/${n}`), clusterRole: (n) => clusterRoles.get(n) });
  for (const b of bootstrapClusterRoleBindings()) a.clusterBindings.put(`crb/${b.metadata!.name}`, b as unknown as KObject);
  for (const b of bootstrapRoleBindings()) a.roleBindings.put(`rb/${b.metadata!.namespace}/${b.metadata!.name}`, b as unknown as KObject);
  return a;
}

const policy = defaultPolicy();

/** "verb group/resource[/sub] [ns] [name]", group "core" for the legacy group. */
function may(id: ComponentIdentity, request: string): boolean {
  const [verb, what, namespace = '', name = ''] = request.split(' ');
  const [group, resource, subresource = ''] = what!.split('/');
  const a: Attributes = {
    user: { name: id.user, groups: [...id.groups, 'system:authenticated'] },
    verb: verb!,
    resourceRequest: true,
    path: '',
    apiGroup: group === 'core' ? '' : group!,
    apiVersion: 'v1',
    resource: resource!,
    subresource,
    namespace: namespace === '-' ? '' : namespace,
    name,
  };
  return policy.authorize(a).allowed;
}

test('every controller acts as the kube-system ServiceAccount upstream names, bound to its system:controller role', () => {
  assert.deepEqual(Object.keys(CONTROLLER_SERVICE_ACCOUNTS).sort(), [...CONTROLLER_NAMES].sort());
  const roles = new Set(bootstrapClusterRoles().map((r) => r.metadata!.name));
  const bindings = new Map(bootstrapClusterRoleBindings().map((b) => [b.metadata!.name, b]));
  for (const sa of controllerServiceAccounts()) {
    assert.ok(roles.has(`system:controller:${sa}`), `role system:controller:${sa}`);
    assert.deepEqual(bindings.get(`system:controller:${sa}`)?.subjects, [{ kind: 'ServiceAccount', name: sa, namespace: 'kube-system' }]);
  }
  assert.deepEqual(controllerIdentity('nodeipam'), {
    user: 'system:serviceaccount:kube-system:node-controller',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'],
  });
});

test('the scheduler may do what it does (leases, binding, pod status, preemption, events, reads) and no more', () => {
  for (const r of [
    'create coordination.k8s.io/leases kube-system',
    'get coordination.k8s.io/leases kube-system kube-scheduler',
    'update coordination.k8s.io/leases kube-system kube-scheduler',
    'list core/pods -',
    'watch core/nodes -',
    'list core/namespaces -',
    'create core/pods/binding ns p',
    'patch core/pods/status ns p',
    'delete core/pods ns victim',
    'create core/events ns',
    'patch events.k8s.io/events ns e',
    'list core/persistentvolumeclaims -',
    'update core/persistentvolumeclaims ns c',
    'watch storage.k8s.io/csinodes -',
    'list storage.k8s.io/csidrivers -',
  ])
    assert.equal(may(KUBE_SCHEDULER, r), true, `scheduler: ${r}`);
  for (const r of [
    'list core/secrets -',
    'update coordination.k8s.io/leases kube-system kube-controller-manager',
    'create core/pods ns',
    'update core/nodes - n1',
    'update storage.k8s.io/csinodes - n1',
  ])
    assert.equal(may(KUBE_SCHEDULER, r), false, `scheduler must not: ${r}`);
});

test('the controller manager itself: its lease, shared informers on everything, the controllers ServiceAccounts', () => {
  for (const r of [
    'update coordination.k8s.io/leases kube-system kube-controller-manager',
    'list core/secrets -',
    'watch apps/deployments -',
    'create core/serviceaccounts kube-system',
  ])
    assert.equal(may(KUBE_CONTROLLER_MANAGER, r), true, `controller manager: ${r}`);
  for (const r of ['delete core/configmaps kube-system c', 'delete core/pods ns p', 'update apps/deployments ns d', 'create core/pods/binding ns p'])
    assert.equal(may(KUBE_CONTROLLER_MANAGER, r), false, `controller manager must not: ${r}`);
});

// What each controller's code writes (and reads directly, past the shared informers).
const WRITES: Record<(typeof CONTROLLER_NAMES)[number], string[]> = {
  replicaset: [
    'get apps/replicasets ns rs',
    'update apps/replicasets/status ns rs',
    'create core/pods ns',
    'delete core/pods ns p',
    'patch core/pods ns p',
    'create core/events ns',
  ],
  replicationcontroller: [
    'get core/replicationcontrollers ns rc',
    'update core/replicationcontrollers/status ns rc',
    'create core/pods ns',
    'delete core/pods ns p',
    'patch core/pods ns p',
    'create core/events ns',
  ],
  disruption: ['update policy/poddisruptionbudgets/status ns b', 'create core/events ns'],
  resourcequota: ['list core/pods -', 'watch apps/deployments -', 'update core/resourcequotas/status ns q'],
  'pvc-protection': ['update core/persistentvolumeclaims ns c', 'list core/pods ns'],
  'pv-protection': ['update core/persistentvolumes - v'],
  'persistentvolume-binder': [
    'update core/persistentvolumes - v',
    'update core/persistentvolumes/status - v',
    'get core/persistentvolumes - v',
    'update core/persistentvolumeclaims ns c',
    'update core/persistentvolumeclaims/status ns c',
    'get core/persistentvolumeclaims ns c',
    'create core/events ns',
  ],
  daemonset: [
    'update apps/daemonsets/status ns d',
    'create apps/controllerrevisions ns',
    'patch apps/controllerrevisions ns r',
    'delete apps/controllerrevisions ns r',
    'create core/pods ns',
    'delete core/pods ns p',
    'create core/events ns',
  ],
  statefulset: [
    'get apps/statefulsets ns s',
    'update apps/statefulsets/status ns s',
    'create apps/controllerrevisions ns',
    'patch apps/controllerrevisions ns r',
    'delete apps/controllerrevisions ns r',
    'create core/pods ns',
    'delete core/pods ns p',
    'patch core/pods ns p',
    'create core/persistentvolumeclaims ns',
    'patch core/persistentvolumeclaims ns c',
    'create core/events ns',
  ],
  deployment: [
    'get apps/deployments ns d',
    'update apps/deployments ns d',
    'update apps/deployments/status ns d',
    'create apps/replicasets ns',
    'patch apps/replicasets ns rs',
    'delete apps/replicasets ns rs',
    'create core/events ns',
  ],
  garbagecollector: ['get apps/replicasets ns rs', 'patch core/pods ns p', 'delete core/configmaps ns c'],
  namespace: [
    'get core/namespaces - ns',
    'update core/namespaces/finalize - ns',
    'update core/namespaces/status - ns',
    'list core/pods ns',
    'deletecollection core/configmaps ns',
  ],
  nodelifecycle: [
    'get core/nodes - n',
    'patch core/nodes - n',
    'update core/nodes/status - n',
    'delete core/pods ns p',
    'get core/pods ns p',
    'patch core/pods/status ns p',
    'create core/events default',
  ],
  podgc: ['get core/nodes - n', 'delete core/pods ns p', 'patch core/pods/status ns p'],
  nodeipam: ['patch core/nodes - n', 'create core/events default'],
  csrapproving: [
    'update certificates.k8s.io/certificatesigningrequests/approval - c',
    'get core/secrets kube-system n1.node-password.berth',
    'create core/secrets kube-system',
    'delete core/secrets kube-system n1.node-password.berth',
  ],
  csrsigning: ['update certificates.k8s.io/certificatesigningrequests/status - c'],
  endpointslice: [
    'create discovery.k8s.io/endpointslices ns',
    'update discovery.k8s.io/endpointslices ns s',
    'delete discovery.k8s.io/endpointslices ns s',
    'create core/events ns',
  ],
  endpoints: ['create core/endpoints ns', 'update core/endpoints ns e', 'delete core/endpoints ns e', 'create core/events ns'],
  'service-lb': ['update core/services/status ns s', 'create core/events ns'],
  'clusterrole-aggregation': ['update rbac.authorization.k8s.io/clusterroles - admin', 'escalate rbac.authorization.k8s.io/clusterroles - admin'],
  job: [
    'get batch/jobs ns j',
    'update batch/jobs/status ns j',
    'create core/pods ns',
    'delete core/pods ns p',
    'patch core/pods ns p',
    'create core/events ns',
  ],
  'ttl-after-finished': ['get batch/jobs ns j', 'delete batch/jobs ns j'],
  cronjob: [
    'get batch/cronjobs ns c',
    'update batch/cronjobs/status ns c',
    'get batch/jobs ns j',
    'create batch/jobs ns',
    'delete batch/jobs ns j',
    'create core/events ns',
  ],
};

test('each controller may write what its code writes, as its own ServiceAccount', () => {
  for (const name of CONTROLLER_NAMES) for (const r of WRITES[name]) assert.equal(may(controllerIdentity(name), r), true, `${name}: ${r}`);
});

test('each controller is refused what its role lacks', () => {
  const refused: Array<[(typeof CONTROLLER_NAMES)[number], string]> = [
    ['job', 'list core/secrets ns'],
    ['replicaset', 'list core/secrets -'],
    ['deployment', 'create core/pods ns'],
    ['cronjob', 'create core/pods ns'],
    ['statefulset', 'delete core/persistentvolumeclaims ns c'],
    ['ttl-after-finished', 'delete core/pods ns p'],
    ['endpoints', 'update discovery.k8s.io/endpointslices ns s'],
    ['service-lb', 'update core/services ns s'],
    ['podgc', 'delete core/nodes - n'],
    ['nodeipam', 'get core/secrets kube-system s'],
    // The node passwords are kube-system's only.
    ['csrapproving', 'get core/secrets default s'],
    ['clusterrole-aggregation', 'update rbac.authorization.k8s.io/clusterrolebindings - x'],
    ['pvc-protection', 'delete core/pods ns p'],
    ['pv-protection', 'update core/persistentvolumeclaims ns c'],
    ['persistentvolume-binder', 'update core/nodes - n'],
  ];
  for (const [name, r] of refused) assert.equal(may(controllerIdentity(name), r), false, `${name} must not: ${r}`);
});

test('the apiserver endpoints reconciler: its Leases in kube-system, default/kubernetes endpoints, nothing else', () => {
  for (const r of [
    'list coordination.k8s.io/leases kube-system',
    'create coordination.k8s.io/leases kube-system',
    'delete coordination.k8s.io/leases kube-system apiserver-x',
    'update core/endpoints default kubernetes',
    'create discovery.k8s.io/endpointslices default',
  ])
    assert.equal(may(APISERVER_ENDPOINTS, r), true, `endpoints reconciler: ${r}`);
  for (const r of [
    'list core/secrets kube-system',
    'update core/endpoints kube-system kube-dns',
    'create coordination.k8s.io/leases default',
    'list core/pods -',
  ])
    assert.equal(may(APISERVER_ENDPOINTS, r), false, `endpoints reconciler must not: ${r}`);
});

test('a node agent may run its local-path provisioner: watch claims and classes, create and delete volumes, but not delete claims', () => {
  const node: ComponentIdentity = { user: 'system:node:n1', groups: ['system:nodes'] };
  for (const r of [
    'list core/persistentvolumeclaims -',
    'watch core/persistentvolumeclaims -',
    'watch storage.k8s.io/storageclasses -',
    'create core/persistentvolumes -',
    'delete core/persistentvolumes - pvc-1',
    'get core/persistentvolumes - pvc-1',
  ])
    assert.equal(may(node, r), true, `node: ${r}`);
  for (const r of ['delete core/persistentvolumeclaims ns c', 'update core/persistentvolumes - pvc-1', 'update core/persistentvolumeclaims/status ns c'])
    assert.equal(may(node, r), false, `node must not: ${r}`);
});
