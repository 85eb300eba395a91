// The clusterroles kind (rbac.authorization.k8s.io): permissions across the cluster, possibly
// aggregated from other ClusterRoles by label selectors (src/controllers/clusterroleaggregation).
import type { KindDef } from '../kind.js';
import { roleStrategy } from '../../apiserver/authz/escalation.js';
import { RBAC_GROUP, clusterRoleValidator } from '../../api/validation/rbac.js';

export const clusterroles: KindDef = {
  group: RBAC_GROUP,
  kind: 'ClusterRole',
  plural: 'clusterroles',
  namespaced: false,
  validator: clusterRoleValidator,
  strategy: roleStrategy,
};
