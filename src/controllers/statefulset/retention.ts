// persistentVolumeClaimRetentionPolicy through owner references, as upstream's
// updateClaimOwnerRefForSetAndPod: whenDeleted Delete makes the set an owner of each claim (the
// garbage collector deletes the claims with the set); whenScaled Delete makes a scaled-down pod
// an owner of its claims (they go with the pod). Retain removes the reference.
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { ordinalOf, replicasOf, startOrdinal } from './identity.js';

const refTo = (apiVersion: string, kind: string, o: { metadata?: { name?: string; uid?: string } }): OwnerReference => ({
  apiVersion,
  kind,
  name: o.metadata!.name!,
  uid: o.metadata!.uid!,
});

/** Whether the pod's ordinal is beyond the set's replicas (it is being scaled down). */
export function isScaledDown(set: StatefulSet, pod: Pod): boolean {
  const ord = ordinalOf(pod);
  return ord < startOrdinal(set) || ord >= startOrdinal(set) + replicasOf(set);
}

/**
 * The owner references the claim should carry for the set's policy and the pod (the pod may be
 * absent or not yet created, when it has no uid: then only the set's reference applies).
 */
export function claimOwnerRefs(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod | undefined): OwnerReference[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const setUid = set.metadata!.uid;
  const podUid = pod?.metadata?.uid;
  const others = (claim.metadata?.ownerReferences ?? []).filter((r) => r.uid !== setUid && (!podUid || r.uid !== podUid));
  const scaledDown = !!pod && isScaledDown(set, pod);
  const out = [...others];
  const byPod = policy.whenScaled === 'Delete' && scaledDown && !!podUid;
  // Upstream: with both Delete, a scaled-down pod's claims go with the pod, not the set.
  const bySet = policy.whenDeleted === 'Delete' && !(policy.whenScaled === 'Delete' && scaledDown);
  if (bySet) out.push(refTo('apps/v1', 'StatefulSet', set));
  if (byPod) out.push(refTo('v1', 'Pod', pod!));
  return out;
}

/** Whether the claim's references already match the policy (upstream ClaimsMatchRetentionPolicy, for one claim). */
export function claimMatchesPolicy(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod | undefined): boolean {
  const key = (refs: OwnerReference[]) =>
    refs
      .map((r) => r.uid)
      .sort()
      .join(',');
  return key(claim.metadata?.ownerReferences ?? []) === key(claimOwnerRefs(claim, set, pod));
}
