// A DaemonSet's ControllerRevisions, as upstream's pkg/controller/daemon/update.go and
// controller/history: each revision holds the template as a strategic merge patch
// ({"spec":{"template":{..., "$patch":"replace"}}}, what `kubectl rollout undo` applies back),
// named <ds>-<hash of that patch>, labelled with the hash the pods carry.
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1';
import { canonicalJson, fnv32a, safeEncodeString } from '../deployment/hash.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** The revision's data: the template, replacing the whole of it when applied. */
export function revisionData(ds: DaemonSet): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(ds.spec!.template), $patch: 'replace' } } };
}

/** upstream HashControllerRevision: fnv32a of the data, then the collision count. */
export function revisionHash(data: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(data)));
  if (collisionCount) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

/** The revision a DaemonSet's current template would be (not yet stored). */
export function newRevision(ds: DaemonSet, revision: number, collisionCount: number | undefined): ControllerRevision {
  const data = revisionData(ds);
  const hash = revisionHash(data, collisionCount);
  const prefix = ds.metadata!.name!.slice(0, 223);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${prefix}-${hash}`,
      namespace: ds.metadata!.namespace,
      labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      annotations: { ...(ds.metadata?.annotations ?? {}) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata!.name!, uid: ds.metadata!.uid!, controller: true, blockOwnerDeletion: true },
      ],
    },
    data,
    revision,
  };
}

/** Whether a stored revision holds the same template (upstream Match: equal data). */
export function sameTemplate(rev: ControllerRevision, ds: DaemonSet): boolean {
  return canonicalJson(rev.data) === canonicalJson(revisionData(ds));
}
