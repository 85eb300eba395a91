// Cells the workload tables (ReplicaSet, Deployment, and the workloads to come) show alike:
// the template's containers and images, and the selector.
import { labelSelectorAsString } from '../labels.js';
import { col, orNone, type Any } from './columns.js';

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

/** The wide columns of a workload's template, then its selector described as the kind's own field. */
export function templateColumns(selectorDescription: string) {
  return [
    col('Containers', 'string', 1, 'Names of each container in the template.'),
    col('Images', 'string', 1, 'Images referenced by each container in the template.'),
    col('Selector', 'string', 1, selectorDescription),
  ];
}
