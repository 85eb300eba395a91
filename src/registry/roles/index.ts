// The roles kind (rbac.authorization.k8s.io): a namespace's set of permissions, as upstream's
// pkg/registry/rbac/role. Validation is shared with ClusterRole (src/api/validation/rbac.ts).
import type { KindDef } from '../kind.js';
import { roleStrategy } from '../../apiserver/authz/escalation.js';
import { RBAC_GROUP, roleValidator } from '../../api/validation/rbac.js';

export const roles: KindDef = {
  group: RBAC_GROUP,
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
  validator: roleValidator,
  strategy: roleStrategy,
};
