// NamespaceLifecycle (upstream's k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle): no
// new objects in a namespace that does not exist or is being deleted. (That the system
// namespaces may not be deleted is the namespaces strategy's validateDelete.)
import { forbidden, notFound } from '../../errors.js';
import type { AdmissionPlugin } from '../types.js';

export const namespaceLifecycle: AdmissionPlugin = {
  name: 'NamespaceLifecycle',
  handles: (a) => a.operation === 'CREATE' && a.resource.namespaced && a.subresource === '',
  lookupsFor: (a) => (a.namespace ? [['namespaces', undefined, a.namespace]] : []),
  admit(a) {
    const nsName = a.namespace!;
    const ns = a.lookups.getNamespace(nsName);
    if (!ns) throw notFound({ plural: 'namespaces', group: '' }, nsName);
    if (ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
      throw forbidden(a.resource, a.name, `unable to create new content in namespace ${nsName} because it is being terminated`);
    }
  },
};
