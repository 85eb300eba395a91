// A Job's successPolicy (upstream matchSuccessPolicy): the first rule whose succeededIndexes
// (all of them, or succeededCount of them) and succeededCount (of all completed indexes) hold.
import type { Job } from 'kubernetes-types/batch/v1';
import { parseIndexes } from '../../api/validation/batch.js';

/** The index of the first rule met by the completed indexes, if any. */
export function matchSuccessPolicy(job: Job, completed: Set<number>): number | undefined {
  const rules = job.spec?.successPolicy?.rules ?? [];
  const completions = job.spec?.completions ?? 0;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.succeededIndexes != null) {
      const named = parseIndexes(rule.succeededIndexes, completions) ?? [];
      const done = named.filter((x) => completed.has(x)).length;
      if (rule.succeededCount != null ? done >= rule.succeededCount : named.length > 0 && done === named.length) return i;
    } else if (rule.succeededCount != null && completed.size >= rule.succeededCount) return i;
  }
  return undefined;
}
