// The Node authorizer, as upstream's plugin/pkg/auth/authorizer/node (1.32, with
// AuthorizeNodeWithSelectors): requests of nodes (system:node:NAME in system:nodes) for the
// objects their pods use are decided by the graph (graph.ts); their own Node, Lease and pods by
// name or field selector; anything else by the static node rules (upstream's NodeRules, the
// system:node ClusterRole's rules, which RBAC binds to no one). It never denies: what it does not
// allow falls through to the next authorizer (RBAC) with its reason, as upstream's NoOpinion.
import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import type { Attributes } from '../attributes.js';
import type { Decision } from '../rbac.js';
import { ruleAllows } from '../rules.js';
import type { NodeGraph, VertexKind } from './graph.js';
import { nodeIdentity } from './node-identity.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/**
 * Berth's own: a node's cluster DNS server keeps its share of kube-system/kube-dns, the
 * EndpointSlice `kube-dns-<node>` (src/dns/endpoint-slice.ts), by server-side apply. RBAC cannot
 * name a slice per node, so the rule is here: that slice, for that node only.
 */
export const kubeDnsSliceName = (node: string) => `kube-dns-${node}`;

const allow: Decision = { allowed: true, reason: '' };
const noOpinion = (reason = ''): Decision => ({ allowed: false, reason });

/** The requirements `field=value` / `field==value` of a field selector (others are not equalities). */
function fieldEquals(selector: string | undefined, field: string, value: string): boolean {
  for (const term of (selector ?? '').split(',')) {
    const m = /^\s*([^!=\s]+)\s*==?\s*(.*?)\s*$/.exec(term);
    if (m && m[1] === field && m[2] === value) return true;
  }
  return false;
}

export class NodeAuthorizer {
  constructor(
    readonly graph: NodeGraph,
    private readonly nodeRules: PolicyRule[],
  ) {}

  authorize(a: Attributes): Decision {
    const node = nodeIdentity(a.user);
    if (node === undefined) return noOpinion();
    if (!node) return noOpinion(`unknown node for user ${JSON.stringify(a.user.name)}`);
    if (a.resourceRequest) {
      const gr = `${a.resource}.${a.apiGroup}`;
      switch (gr) {
        case 'secrets.':
          return this.readNamespacedObject(node, 'secrets', a);
        case 'configmaps.':
          return this.readNamespacedObject(node, 'configmaps', a);
        case 'persistentvolumeclaims.':
          return a.subresource === 'status' ? this.statusUpdate(node, 'persistentvolumeclaims', a) : this.get(node, 'persistentvolumeclaims', a);
        case 'persistentvolumes.':
          // No PersistentVolume is in the graph (Berth serves none): the path upstream follows
          // (pv -> pvc -> pod -> node) is never there.
          return a.verb !== 'get' ? noOpinion('can only get individual resources of this type') : noOpinion(noRelationship(node));
        case 'serviceaccounts.':
          return this.createToken(node, a);
        case 'leases.coordination.k8s.io':
          return this.lease(node, a);
        case 'nodes.':
          return this.node(node, a);
        case 'csinodes.storage.k8s.io':
          return this.csiNode(node, a);
        case 'pods.':
          return this.pod(node, a);
        case 'endpointslices.discovery.k8s.io':
          if (this.dnsSlice(node, a)) return allow;
          break;
      }
    }
    return this.nodeRules.some((r) => ruleAllows(a, r)) ? allow : noOpinion();
  }

  private related(node: string, kind: VertexKind, a: Attributes): Decision {
    if (!a.name) return noOpinion('No Object name found');
    return this.graph.hasPath(node, kind, a.namespace, a.name) ? allow : noOpinion(noRelationship(node));
  }

  private get(node: string, kind: VertexKind, a: Attributes): Decision {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.related(node, kind, a);
  }

  private statusUpdate(node: string, kind: VertexKind, a: Attributes): Decision {
    if (a.verb !== 'update' && a.verb !== 'patch') return noOpinion('can only get/update/patch this type');
    return this.related(node, kind, a);
  }

  /** get, and list/watch of one object by metadata.name field selector (the name is in the attributes then). */
  private readNamespacedObject(node: string, kind: VertexKind, a: Attributes): Decision {
    if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(node, kind, a);
  }

  private createToken(node: string, a: Attributes): Decision {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.graph.hasPath(node, 'serviceaccounts', a.namespace, a.name) ? allow : noOpinion(noRelationship(node));
  }

  private lease(node: string, a: Attributes): Decision {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
    if (a.namespace !== NODE_LEASE_NAMESPACE) return noOpinion(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    // A create names its lease in the body only: NodeRestriction checks it.
    if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
    return allow;
  }

  /** Its own CSINode, as upstream's authorizeCSINode. */
  private csiNode(node: string, a: Attributes): Decision {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a CSINode');
    if (a.subresource) return noOpinion('cannot authorize CSINode subresources');
    // A create names its CSINode in the body only: NodeRestriction checks it.
    if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access CSINode with the same name as the requesting node');
    return allow;
  }

  private node(node: string, a: Attributes): Decision {
    if (!a.subresource) {
      // Writes to other nodes are NodeRestriction's to refuse (it sees the object).
      if (a.verb === 'create' || a.verb === 'update' || a.verb === 'patch') return allow;
      if (a.verb === 'get' || a.verb === 'list' || a.verb === 'watch') {
        // By name, not the graph: a kubelet reads its Node before it has created it.
        if (a.name === node) return allow;
        return noOpinion(
          a.name ? `node '${node}' cannot read '${a.name}', only its own Node object` : `node '${node}' cannot read all nodes, only its own Node object`,
        );
      }
    } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
      return allow;
    }
    return noOpinion();
  }

  private pod(node: string, a: Attributes): Decision {
    switch (a.subresource) {
      case '':
        if (a.verb === 'get') return this.get(node, 'pod', a);
        if (a.verb === 'list' || a.verb === 'watch') {
          if (fieldEquals(a.fieldSelector, 'spec.nodeName', node)) return allow;
          if (a.name) return this.related(node, 'pod', a);
          return noOpinion('can only list/watch pods with spec.nodeName field selector');
        }
        // Mirror pods: NodeRestriction keeps them to pods bound to this node.
        if (a.verb === 'create' || a.verb === 'delete') return allow;
        break;
      case 'status':
        if (a.verb === 'update' || a.verb === 'patch') return allow;
        break;
      case 'eviction':
        if (a.verb === 'create') return allow;
        break;
    }
    return noOpinion();
  }

  private dnsSlice(node: string, a: Attributes): boolean {
    return !a.subresource && a.namespace === 'kube-system' && a.name === kubeDnsSliceName(node) && ['get', 'create', 'update', 'patch'].includes(a.verb);
  }
}

const noRelationship = (node: string) => `no relationship found between node '${node}' and this object`;
