// Upstream's pod re-creation back-off for Jobs (pkg/controller/job/backoff_utils.go): after
// consecutive failures a new pod waits base * 2^(failures-1) from the last failure, capped;
// a success resets the count. 10 s doubling, capped at 6 min (upstream's MaxJobBackOff).
export const DEFAULT_BACKOFF_BASE_MS = 10_000;
export const MAX_BACKOFF_MS = 6 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureMs?: number;
}

/** How long from now until a new pod may be created (0: now). */
export function remainingBackoffMs(rec: BackoffRecord | undefined, now: number, baseMs = DEFAULT_BACKOFF_BASE_MS, maxMs = MAX_BACKOFF_MS): number {
  if (!rec || rec.failuresAfterLastSuccess === 0 || rec.lastFailureMs === undefined || baseMs <= 0) return 0;
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(rec.failuresAfterLastSuccess - 1, 30));
  return Math.max(0, rec.lastFailureMs + delay - now);
}

/** The record after pods newly finished: successes reset, failures count from the latest. */
export function nextBackoffRecord(rec: BackoffRecord | undefined, newSucceeded: number, newFailures: number[]): BackoffRecord {
  let out: BackoffRecord = rec ?? { failuresAfterLastSuccess: 0 };
  if (newSucceeded > 0) out = { failuresAfterLastSuccess: 0 };
  if (newFailures.length)
    out = { failuresAfterLastSuccess: out.failuresAfterLastSuccess + newFailures.length, lastFailureMs: Math.max(out.lastFailureMs ?? 0, ...newFailures) };
  return out;
}
