// Namespaces, as upstream's pkg/registry/core/namespace: created Active with the "kubernetes"
// finalizer; spec.finalizers changes only through namespaces/finalize; a delete marks the
// namespace Terminating until the namespace controller has emptied and finalized it; the
// cluster's own namespaces may not be deleted.
import { clone, type KObject } from '../../api/object.js';
import { forbidden } from '../../apiserver/errors.js';
import { rfc3339 as nowRfc3339 } from '../../client/time.js';
import type { Strategy } from '../strategy.js';

const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export function admitNamespaceDelete(name: string): void {
  if (IMMORTAL_NAMESPACES.has(name)) throw forbidden({ plural: 'namespaces', group: '' }, name, 'this namespace may not be deleted');
}

const finalizersOf = (obj: KObject) => (obj.spec as { finalizers?: string[] } | undefined)?.finalizers;

export const namespaceStrategy: Strategy = {
  prepareForCreate: (obj) => {
    obj.spec = { finalizers: ['kubernetes'] };
    obj.status = { phase: 'Active' };
  },
  prepareForUpdate: (next, current, subresource) => {
    if (subresource === '') next.spec = clone(current.spec);
  },
  holdsDeletion: (obj) => !!finalizersOf(obj)?.length,
  validateDelete: admitNamespaceDelete,
  markForDeletion: (obj) => {
    if (!finalizersOf(obj)?.length) return false;
    const meta = obj.metadata;
    obj.status = { ...(obj.status as object), phase: 'Terminating' };
    meta.deletionTimestamp ??= nowRfc3339();
    meta.deletionGracePeriodSeconds ??= 0;
    return true;
  },
};
