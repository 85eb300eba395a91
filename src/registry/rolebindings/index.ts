// The rolebindings kind (rbac.authorization.k8s.io): grants a Role or ClusterRole to subjects
// within one namespace. Its roleRef never changes (src/api/validation/rbac.ts).
import type { KindDef } from '../kind.js';
import { bindingStrategy } from '../../apiserver/authz/escalation.js';
import { RBAC_GROUP, defaultBinding, roleBindingValidator } from '../../api/validation/rbac.js';
import { bindingPrinter } from '../../api/printers/rbac.js';

export const rolebindings: KindDef = {
  group: RBAC_GROUP,
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
  printer: bindingPrinter,
  defaulter: defaultBinding,
  validator: roleBindingValidator,
  strategy: bindingStrategy,
};
