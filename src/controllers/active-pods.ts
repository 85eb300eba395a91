// What the workload controllers ask of a pod — is it active, ready, available — and which pods
// go first when there are too many: upstream's FilterActivePods, IsPodReady/IsPodAvailable and
// ActivePodsWithRanks ordering (with LogarithmicScaleDown, on by default upstream).
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import { parseTime } from '../client/index.js';

/** The annotation by which users say which pods are cheaper to delete (int32, default 0). */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** Neither finished nor being deleted: upstream IsPodActive. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

export function filterActivePods(pods: Pod[]): Pod[] {
  return pods.filter(isPodActive);
}

export function podReadyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/**
 * Ready for at least minReadySeconds at `now`. Upstream compares lastTransitionTime +
 * minReadySeconds strictly before now.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = parseTime(c.lastTransitionTime);
  return !!since && since.getTime() + minReadySeconds * 1000 < now.getTime();
}

/** For a ready pod not yet available: milliseconds until it is (undefined otherwise). */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: Date): number | undefined {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True' || minReadySeconds <= 0) return undefined;
  const since = parseTime(c.lastTransitionTime);
  if (!since) return undefined;
  const left = since.getTime() + minReadySeconds * 1000 - now.getTime();
  return left >= 0 ? left + 1 : undefined;
}

/** The pod-deletion-cost annotation; absent or malformed counts as 0. */
export function podDeletionCost(pod: Pod): number {
  const v = pod.metadata?.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -(2 ** 31) && n <= 2 ** 31 - 1 ? n : 0;
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function readyTime(pod: Pod): number | undefined {
  if (!isPodReady(pod)) return undefined;
  return parseTime(podReadyCondition(pod)?.lastTransitionTime)?.getTime();
}

/** Highest restart count among regular containers, and among restartable init (sidecar) containers. */
function maxRestarts(pod: Pod): [number, number] {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  let sidecar = 0;
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return [regular, sidecar];
}

/** Upstream afterOrZero: a missing time sorts first, then the later time. */
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

/** floor(log2(age in ns)) of each time, compared: pods of about the same age rank alike. */
function logarithmicRankDiff(a: number, b: number, now: number): number {
  const rank = (t: number) => {
    const ns = (now - t) * 1e6;
    return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
  };
  return rank(a) - rank(b);
}

/** Compares by age with logarithmic buckets, then uid; undefined when the times are equal. */
function compareAge(a: number | undefined, b: number | undefined, now: number, uidA: string, uidB: string): boolean | undefined {
  if (a === b) return undefined;
  if (a === undefined || b === undefined) return afterOrZero(a, b);
  const diff = logarithmicRankDiff(a, b, now);
  return diff === 0 ? uidA < uidB : diff < 0;
}

/**
 * Whether pod i should be deleted before pod j. `rank` is the number of the controller's
 * active pods on the same node (more doubled-up goes first). Order:
 * unassigned < assigned; Pending < Unknown < Running; not ready < ready; lower deletion cost;
 * more co-located; ready for less time; more restarts; newer.
 */
export function deleteBefore(pi: Pod, pj: Pod, rankI: number, rankJ: number, now: number): boolean {
  const ni = pi.spec?.nodeName ?? '';
  const nj = pj.spec?.nodeName ?? '';
  if (ni !== nj && (ni === '' || nj === '')) return ni === '';
  const oi = PHASE_ORDINAL[pi.status?.phase ?? ''] ?? 0;
  const oj = PHASE_ORDINAL[pj.status?.phase ?? ''] ?? 0;
  if (oi !== oj) return oi < oj;
  const ri = isPodReady(pi);
  const rj = isPodReady(pj);
  if (ri !== rj) return !ri;
  const ci = podDeletionCost(pi);
  const cj = podDeletionCost(pj);
  if (ci !== cj) return ci < cj;
  if (rankI !== rankJ) return rankI > rankJ;
  if (ri && rj) {
    const byReady = compareAge(readyTime(pi), readyTime(pj), now, pi.metadata?.uid ?? '', pj.metadata?.uid ?? '');
    if (byReady !== undefined) return byReady;
  }
  const [regI, sideI] = maxRestarts(pi);
  const [regJ, sideJ] = maxRestarts(pj);
  if (regI !== regJ) return regI > regJ;
  if (sideI !== sideJ) return sideI > sideJ;
  const byCreation = compareAge(
    parseTime(pi.metadata?.creationTimestamp)?.getTime(),
    parseTime(pj.metadata?.creationTimestamp)?.getTime(),
    now,
    pi.metadata?.uid ?? '',
    pj.metadata?.uid ?? '',
  );
  return byCreation ?? false;
}

/**
 * The diff pods to delete out of pods, least valuable first. relatedPods (the pods of the
 * controller's sibling ReplicaSets, including these) decide how doubled-up each node is.
 */
export function podsToDelete(pods: Pod[], relatedPods: Pod[], diff: number, now: Date = new Date()): Pod[] {
  if (diff >= pods.length) return pods.slice();
  const onNode = new Map<string, number>();
  for (const p of relatedPods) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const t = now.getTime();
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => (deleteBefore(a.pod, b.pod, a.rank, b.rank, t) ? -1 : deleteBefore(b.pod, a.pod, b.rank, a.rank, t) ? 1 : 0));
  return ranked.slice(0, diff).map((r) => r.pod);
}
