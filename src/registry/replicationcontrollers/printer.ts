// The replicationcontrollers table, as upstream's printReplicationController.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, orNone, type Any } from '../../api/printers/columns.js';
import { containersAndImages, templateColumns } from '../../api/printers/workload.js';

/** A label map as upstream's labels.FormatLabels: sorted `k=v` pairs joined by commas. */
function formatLabels(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${m![k]}`)
    .join(',');
}

export const replicationControllerPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 0, 'Replicas is the number of desired replicas.'),
    col('Current', 'integer', 0, 'Replicas is the most recently observed number of replicas.'),
    col('Ready', 'integer', 0, 'The number of ready replicas for this replication controller.'),
    AGE,
    ...templateColumns('Selector is a label query over pods that should match the Replicas count.'),
  ],
  cells: (o, now) => {
    const rc = o as Any;
    const [cs, images] = containersAndImages(rc.spec?.template);
    return [
      name(o),
      rc.spec?.replicas ?? 0,
      rc.status?.replicas ?? 0,
      rc.status?.readyReplicas ?? 0,
      created(o, now),
      cs,
      images,
      orNone(formatLabels(rc.spec?.selector)),
    ];
  },
};
