// Which pods a PodDisruptionBudget covers, for the disruption controller and the eviction
// subresource alike.
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { selectorFromLabelSelector } from '../../api/labels.js';

/**
 * Whether a budget's selector covers the pod's labels. policy/v1: a null selector covers no pod,
 * an empty one every pod of the namespace. An invalid selector covers nothing.
 */
export function budgetSelects(selector: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  try {
    return selectorFromLabelSelector(selector).matches(labels ?? {});
  } catch {
    return false;
  }
}
