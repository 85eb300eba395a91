// A StatefulSet pod's stable identity and storage, as upstream's pkg/controller/statefulset
// stateful_set_utils.go: the pod NAME-ORDINAL with hostname = its name and subdomain = the
// governing Service (so cluster DNS answers NAME-ORDINAL.SERVICE), the pod-name and pod-index
// labels, and one claim per volumeClaimTemplate and ordinal, <template>-<pod>, mounted in
// place of the template's volume of the same name.
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { podFromTemplate } from '../pod-control.js';
import { REVISION_HASH_LABEL } from '../history.js';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export const startOrdinal = (set: StatefulSet): number => set.spec?.ordinals?.start ?? 0;
export const replicasOf = (set: StatefulSet): number => set.spec?.replicas ?? 1;

/** The ordinal of a pod named <parent>-<n>, or -1 (upstream getParentNameAndOrdinal). */
export function ordinalOf(pod: Pod): number {
  const m = /^(.*)-(\d+)$/.exec(pod.metadata?.name ?? '');
  return m ? Number(m[2]) : -1;
}

/** Whether the pod's name makes it one of the set's (upstream isMemberOf). */
export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  const m = /^(.*)-(\d+)$/.exec(pod.metadata?.name ?? '');
  return !!m && m[1] === set.metadata!.name;
}

export const podName = (set: StatefulSet, ordinal: number): string => `${set.metadata!.name}-${ordinal}`;

/** The revision (ControllerRevision name) a pod was made from. */
export const podRevision = (pod: Pod): string | undefined => pod.metadata?.labels?.[REVISION_HASH_LABEL];

/** The claims a pod of the set uses, one per template (upstream getPersistentVolumeClaims): template labels plus the selector's. */
export function claimsFor(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const out = new Map<string, PersistentVolumeClaim>();
  for (const tpl of set.spec?.volumeClaimTemplates ?? []) {
    const { status: _status, ...copy } = structuredClone(tpl);
    const claim: PersistentVolumeClaim = { ...copy, apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
    const labels = { ...(tpl.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) };
    claim.metadata = {
      ...(tpl.metadata ?? {}),
      name: `${tpl.metadata!.name}-${podName(set, ordinal)}`,
      namespace: set.metadata!.namespace,
      ...(Object.keys(labels).length ? { labels } : {}),
    };
    out.set(tpl.metadata!.name!, claim);
  }
  return out;
}

/** The pod for an ordinal from a template of the set (upstream newVersionedStatefulSetPod without the choice of template). */
export function newPod(set: StatefulSet, template: PodTemplateSpec, revision: string, ordinal: number, ref: OwnerReference): Pod {
  const pod = podFromTemplate(template, set, ref);
  const name = podName(set, ordinal);
  delete pod.metadata!.generateName;
  pod.metadata!.name = name;
  pod.metadata!.labels = { ...pod.metadata!.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [REVISION_HASH_LABEL]: revision };
  pod.spec!.hostname = name;
  if (set.spec?.serviceName) pod.spec!.subdomain = set.spec.serviceName;
  // The claims replace the template's volumes of the same names; the other volumes stay.
  const claims = claimsFor(set, ordinal);
  const volumes: Volume[] = [...claims].map(([volume, claim]) => ({ name: volume, persistentVolumeClaim: { claimName: claim.metadata!.name! } }));
  pod.spec!.volumes = [...volumes, ...(pod.spec!.volumes ?? []).filter((v) => !claims.has(v.name))];
  return pod;
}

/** The identity labels a pod is missing or has wrong (upstream identityMatches / updateIdentity for what may change on a pod). */
export function identityLabelsPatch(set: StatefulSet, pod: Pod): Record<string, string> | undefined {
  const ord = ordinalOf(pod);
  const want = { [POD_NAME_LABEL]: pod.metadata!.name!, [POD_INDEX_LABEL]: String(ord) };
  const labels = pod.metadata?.labels ?? {};
  const patch = Object.fromEntries(Object.entries(want).filter(([k, v]) => labels[k] !== v));
  return Object.keys(patch).length && isMemberOf(set, pod) ? patch : undefined;
}
