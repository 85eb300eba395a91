// Cells the workload tables (ReplicaSet, Deployment, and the workloads to come) show alike:
// the template's containers and images, and the selector.
import { labelSelectorAsString } from '../labels.js';
import { orNone, type Any } from './columns.js';

export function containersAndImages(template: Any | undefined): [string, string] {
  const cs: Any[] = template?.spec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

export function selectorString(sel: Any | undefined): string {
  if (!sel) return '<none>';
  try {
    return orNone(labelSelectorAsString(sel));
  } catch {
    return '<error>';
  }
}
