// The replicasets table, as upstream's printReplicaSet.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';
import { containersAndImages, selectorString, templateColumns } from '../../api/printers/workload.js';

export const replicaSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 0, 'Replicas is the number of desired replicas.'),
    col('Current', 'integer', 0, 'Replicas is the most recently observed number of replicas.'),
    col('Ready', 'integer', 0, 'The number of ready replicas for this replica set.'),
    AGE,
    ...templateColumns('Selector is a label query over pods that should match the replica count.'),
  ],
  cells: (o, now) => {
    const rs = o as Any;
    const [cs, images] = containersAndImages(rs.spec?.template);
    return [
      name(o),
      rs.spec?.replicas ?? 0,
      rs.status?.replicas ?? 0,
      rs.status?.readyReplicas ?? 0,
      created(o, now),
      cs,
      images,
      selectorString(rs.spec?.selector),
    ];
  },
};
