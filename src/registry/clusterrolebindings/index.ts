// The clusterrolebindings kind (rbac.authorization.k8s.io): grants a ClusterRole to subjects in
// every namespace. Its roleRef never changes (src/api/validation/rbac.ts).
import type { KindDef } from '../kind.js';
import { bindingStrategy } from '../../apiserver/authz/escalation.js';
import { RBAC_GROUP, clusterRoleBindingValidator, defaultBinding } from '../../api/validation/rbac.js';
import { bindingPrinter } from '../../api/printers/rbac.js';

export const clusterrolebindings: KindDef = {
  group: RBAC_GROUP,
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  namespaced: false,
  printer: bindingPrinter,
  defaulter: defaultBinding,
  validator: clusterRoleBindingValidator,
  strategy: bindingStrategy,
};
