// NodeRestriction, as upstream's plugin/pkg/admission/noderestriction: what the Node authorizer
// lets every node do (write nodes, create and delete pods, update pod status, evict, leases,
// tokens), narrowed to the node's own objects by looking at them. A node may change only its own
// Node, never its taints nor labels under node-restriction.kubernetes.io/ or other
// kubernetes.io / k8s.io labels kubelet does not set; may create only mirror pods bound to itself
// that reference nothing; may delete, evict and update the status of only the pods bound to it;
// may write only its own Lease and CSINode; may ask for ServiceAccount tokens only bound to its own pods.
// Requests of anyone not a node pass untouched.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { KObject } from '../../../api/object.js';
import { deepEqual } from '../../../api/object.js';
import type { UserInfo } from '../../authn/user.js';
import { forbidden, notFound } from '../../errors.js';
import { nodeIdentity } from '../../authz/node/node-identity.js';
import { NODE_LEASE_NAMESPACE } from '../../authz/node/node-authorizer.js';
import { podReferences } from '../../../api/pod-references.js';
import type { AdmissionAttributes, AdmissionLookups, AdmissionPlugin } from '../types.js';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export type NodeRestrictionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

/** The part of an admission request NodeRestriction reads (a subset of the chain's attributes). */
export interface NodeRestrictionAttributes {
  operation: NodeRestrictionOperation;
  resource: { group: string; plural: string };
  subresource: string;
  namespace: string | undefined;
  /** The name on the URL ('' for a create). */
  name: string;
  object: KObject | undefined;
  oldObject: KObject | undefined;
  user: UserInfo;
}

export interface NodeRestrictionLookups {
  pod(namespace: string, name: string): Pod | undefined;
  node(name: string): Node | undefined;
}

/** Labels kubelet sets on its own Node (upstream's k8s.io/kubelet/pkg/apis IsKubeletLabel). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'kubernetes.io/os',
  'kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const labelNamespace = (key: string) => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inNamespace = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d));
}

/** The labels a node may not add, remove or change on itself, sorted as upstream's sets.List. */
export function forbiddenNodeLabels(labels: Record<string, string> | undefined, old: Record<string, string> | undefined): string[] {
  const a = labels ?? {};
  const b = old ?? {};
  const modified = new Set<string>();
  for (const k of Object.keys(a)) if (b[k] !== a[k]) modified.add(k);
  for (const k of Object.keys(b)) if (a[k] !== b[k]) modified.add(k);
  const out: string[] = [];
  for (const k of modified) {
    const ns = labelNamespace(k);
    const restricted = inNamespace(ns, 'node-restriction.kubernetes.io');
    const kubernetes = inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io');
    if (restricted || (kubernetes && !isKubeletLabel(k))) out.push(k);
  }
  return out.sort();
}

/** Throws upstream's 403 when a node may not make this write; anyone else's writes pass. */
export function admitNodeRestriction(a: NodeRestrictionAttributes, lookups: NodeRestrictionLookups): void {
  const node = nodeIdentity(a.user);
  if (node === undefined) return;
  const name = a.name || a.object?.metadata?.name || '';
  const refuse = (why: string) => forbidden(a.resource, name, why);
  if (!node) throw refuse(`could not determine node from user ${JSON.stringify(a.user.name)}`);
  switch (`${a.resource.plural}.${a.resource.group}`) {
    case 'pods.':
      if (a.subresource === '') return admitPod(node, a, lookups, refuse);
      if (a.subresource === 'status') return admitPodStatus(node, a, refuse);
      if (a.subresource === 'eviction') return admitPodEviction(node, a, lookups, refuse);
      throw refuse(`unexpected pod subresource ${JSON.stringify(a.subresource)}, only 'status' and 'eviction' are allowed`);
    case 'nodes.':
      return admitNode(node, a, refuse);
    case 'persistentvolumeclaims.':
      // Berth serves no PersistentVolumeClaims yet; upstream's status-only rule, for when it does.
      if (a.subresource !== 'status') throw refuse('may only update PVC status');
      return;
    case 'leases.coordination.k8s.io':
      return admitLease(node, a, refuse);
    case 'serviceaccounts.':
      return admitTokenRequest(node, a, lookups, refuse);
    case 'csinodes.storage.k8s.io':
      return admitCSINode(node, a, refuse);
  }
}

/**
 * A node's TokenRequest must be bound to a pod scheduled on it (the pod's uid too): a token is
 * bound to one object, so a node cannot mint one bound to itself for any account.
 */
function admitTokenRequest(node: string, a: NodeRestrictionAttributes, lookups: NodeRestrictionLookups, refuse: Refuse): void {
  if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
  const ref = (a.object as { spec?: { boundObjectRef?: { apiVersion?: string; kind?: string; name?: string; uid?: string } } } | undefined)?.spec
    ?.boundObjectRef;
  if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw refuse('node requested token not bound to a pod');
  if (!ref.uid) throw refuse('node requested token with a pod binding without a uid');
  const pod = lookups.pod(a.namespace ?? '', ref.name);
  if (!pod) throw notFound({ plural: 'pods', group: '' }, ref.name);
  if (ref.uid !== pod.metadata?.uid)
    throw refuse(`the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  if (pod.spec?.nodeName !== node) throw refuse('node requested token bound to a pod scheduled on a different node');
}

/** The pods and nodes NodeRestriction reads, from admission's lookups (the watch caches). */
export const nodeRestrictionLookups = (l: AdmissionLookups): NodeRestrictionLookups => ({
  pod: (namespace, name) => l.get('pods', namespace, name) as Pod | undefined,
  node: (name) => l.get('nodes', undefined, name) as Node | undefined,
});

const RESTRICTED = new Set(['pods', 'nodes', 'persistentvolumeclaims', 'serviceaccounts', 'leases.coordination.k8s.io', 'csinodes.storage.k8s.io']);

/** The chain's NodeRestriction: upstream's is a mutating plugin that only refuses. */
export const nodeRestriction: AdmissionPlugin = {
  name: 'NodeRestriction',
  handles: (a) => a.operation !== 'CONNECT' && RESTRICTED.has(a.resource.key) && nodeIdentity(a.user) !== undefined,
  lookupsFor: (a) => {
    const node = nodeIdentity(a.user);
    // A mirror pod's owner is checked against the Node's uid.
    return node && a.resource.key === 'pods' && a.operation === 'CREATE' ? [['nodes', undefined, node]] : [];
  },
  admit(a: AdmissionAttributes) {
    admitNodeRestriction(
      {
        operation: a.operation as NodeRestrictionOperation,
        resource: a.resource,
        subresource: a.subresource,
        namespace: a.namespace,
        // A create has no name on its URL (upstream's GetName): the checks read the object's.
        name: a.operation === 'CREATE' ? '' : a.name,
        object: a.object,
        oldObject: a.oldObject,
        user: a.user,
      },
      nodeRestrictionLookups(a.lookups),
    );
  },
};

type Refuse = (why: string) => Error;

function admitPod(node: string, a: NodeRestrictionAttributes, lookups: NodeRestrictionLookups, refuse: Refuse): void {
  if (a.operation === 'DELETE') {
    const existing = (a.oldObject as Pod | undefined) ?? lookups.pod(a.namespace ?? '', a.name);
    if (existing && existing.spec?.nodeName !== node) throw refuse(`node ${JSON.stringify(node)} can only delete pods with spec.nodeName set to itself`);
    return;
  }
  if (a.operation !== 'CREATE')
    throw refuse(`unexpected operation ${JSON.stringify(a.operation)}, node ${JSON.stringify(node)} can only create and delete mirror pods`);
  const pod = a.object as Pod;
  if (!pod.metadata?.annotations || !(MIRROR_POD_ANNOTATION in pod.metadata.annotations))
    throw refuse(`pod does not have ${JSON.stringify(MIRROR_POD_ANNOTATION)} annotation, node ${JSON.stringify(node)} can only create mirror pods`);
  if (pod.spec?.nodeName !== node) throw refuse(`node ${JSON.stringify(node)} can only create pods with spec.nodeName set to itself`);
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) throw refuse(`node ${JSON.stringify(node)} can only create pods with a single owner reference set to itself`);
  if (owners.length === 0) throw refuse(`node ${JSON.stringify(node)} can only create pods with an owner reference set to itself`);
  const owner = owners[0]!;
  if (owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node)
    throw refuse(`node ${JSON.stringify(node)} can only create pods with an owner reference set to itself`);
  if (!owner.controller) throw refuse(`node ${JSON.stringify(node)} can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion) throw refuse(`node ${JSON.stringify(node)} must not set blockOwnerDeletion on an owner reference`);
  const self = lookups.node(node);
  if (!self) throw refuse(`error looking up node ${node} to verify uid: nodes "${node}" not found`);
  if (owner.uid !== self.metadata?.uid) throw refuse(`node ${node} UID mismatch: expected ${owner.uid} got ${self.metadata?.uid}`);
  // A mirror pod references nothing: the node could otherwise read any object through it.
  // (The ServiceAccount admission defaults spec.serviceAccountName only for non-mirror pods.)
  if (pod.spec?.serviceAccountName) throw refuse(`node ${JSON.stringify(node)} can not create pods that reference a service account`);
  const refs = podReferences(pod);
  if (refs.secrets.size) throw refuse(`node ${JSON.stringify(node)} can not create pods that reference secrets`);
  if (refs.configmaps.size) throw refuse(`node ${JSON.stringify(node)} can not create pods that reference configmaps`);
  for (const v of pod.spec?.volumes ?? [])
    for (const s of v.projected?.sources ?? [])
      if ((s as Record<string, unknown>).clusterTrustBundle)
        throw refuse(`node ${JSON.stringify(node)} can not create pods that reference clustertrustbundles`);
  if ((pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim))
    throw refuse(`node ${JSON.stringify(node)} can not create pods that reference persistentvolumeclaims`);
}

function admitPodStatus(node: string, a: NodeRestrictionAttributes, refuse: Refuse): void {
  if (a.operation !== 'UPDATE') throw refuse(`unexpected operation ${JSON.stringify(a.operation)}`);
  const old = a.oldObject as Pod;
  if (old.spec?.nodeName !== node) throw refuse(`node ${JSON.stringify(node)} can only update pod status for pods with spec.nodeName set to itself`);
  if (!deepEqual(old.metadata?.labels ?? {}, (a.object as Pod).metadata?.labels ?? {}))
    throw refuse(`node ${JSON.stringify(node)} cannot update labels through pod status`);
  const claims = (p: Pod) => (p.status?.resourceClaimStatuses ?? []).map((c) => [c.name, c.resourceClaimName ?? null]);
  if (!deepEqual(claims(old), claims(a.object as Pod))) throw refuse(`node ${JSON.stringify(node)} cannot update resource claim statues`);
}

function admitPodEviction(node: string, a: NodeRestrictionAttributes, lookups: NodeRestrictionLookups, refuse: Refuse): void {
  if (a.operation !== 'CREATE') throw refuse(`unexpected operation ${a.operation}`);
  const podName = a.name || a.object?.metadata?.name;
  if (!podName) throw refuse('could not determine pod from request data');
  const pod = lookups.pod(a.namespace ?? '', podName);
  // A pod that is not there is the eviction's NotFound to answer.
  if (pod && pod.spec?.nodeName !== node) throw refuse(`node ${node} can only evict pods with spec.nodeName set to itself`);
}

function admitNode(node: string, a: NodeRestrictionAttributes, refuse: Refuse): void {
  if (name(a) !== node) throw refuse(`node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(name(a))}`);
  const obj = a.object as Node | undefined;
  if (a.operation === 'CREATE') {
    if (obj?.spec?.configSource) throw refuse(`node ${JSON.stringify(node)} is not allowed to create pods with a non-nil configSource`);
    const bad = forbiddenNodeLabels(obj?.metadata?.labels, undefined);
    if (bad.length) throw refuse(`node ${JSON.stringify(node)} is not allowed to set the following labels: ${bad.join(', ')}`);
  }
  if (a.operation === 'UPDATE') {
    const old = a.oldObject as Node;
    if (obj?.spec?.configSource && !deepEqual(obj.spec.configSource, old.spec?.configSource))
      throw refuse(`node ${JSON.stringify(node)} is not allowed to update configSource to a new non-nil configSource`);
    if (!deepEqual(obj?.spec?.taints ?? [], old.spec?.taints ?? [])) throw refuse(`node ${JSON.stringify(node)} is not allowed to modify taints`);
    const bad = forbiddenNodeLabels(obj?.metadata?.labels, old.metadata?.labels);
    // Upstream's wording, without the node's name.
    if (bad.length) throw refuse(`is not allowed to modify labels: ${bad.join(', ')}`);
  }
}

/** The Node written: the URL's name, or on a create the object's. */
const name = (a: NodeRestrictionAttributes) => a.name || a.object?.metadata?.name || '';

/** A node writes only the CSINode of its own name (a create names it in the body only). */
function admitCSINode(node: string, a: NodeRestrictionAttributes, refuse: Refuse): void {
  const csiNodeName = a.operation === 'CREATE' ? a.object?.metadata?.name : a.name;
  if (csiNodeName !== node) throw refuse('can only access CSINode with the same name as the requesting node');
}

function admitLease(node: string, a: NodeRestrictionAttributes, refuse: Refuse): void {
  if (a.namespace !== NODE_LEASE_NAMESPACE) throw refuse(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
  const leaseName = a.operation === 'CREATE' ? a.object?.metadata?.name : a.name;
  if (leaseName !== node) throw refuse('can only access node lease with the same name as the requesting node');
}
