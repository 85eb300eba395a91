// Completion indexes of Indexed Jobs as upstream writes them in status.completedIndexes and
// status.failedIndexes: ordered decimal indexes, runs of three or more as "first-last".
import type { Pod } from 'kubernetes-types/core/v1';
import { parseIndexes } from '../../api/validation/batch.js';

export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
export const INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';

/** "1,3-5,7" from a set of indexes. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    if (j - i >= 2) parts.push(`${sorted[i]}-${sorted[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(sorted[k]));
    i = j + 1;
  }
  return parts.join(',');
}

/** The indexes a status string names below completions; a malformed string names none. */
export function indexSet(s: string | undefined | null, completions: number): Set<number> {
  return new Set(s ? (parseIndexes(s, completions) ?? []) : []);
}

/** A pod's completion index, if it carries a valid one below completions. */
export function podIndex(pod: Pod, completions: number): number | undefined {
  const v = pod.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION] ?? pod.metadata?.labels?.[COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const i = Number(v);
  return i < completions ? i : undefined;
}

/** How many times a pod's index failed before this pod was created. */
export function indexFailureCount(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[INDEX_FAILURE_COUNT_ANNOTATION] ?? 0);
  return Number.isFinite(v) && v >= 0 ? v : 0;
}
