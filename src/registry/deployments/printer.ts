// The deployments table, as upstream's printDeployment: READY as ready/desired.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';
import { containersAndImages, selectorString, templateColumns } from '../../api/printers/workload.js';

export const deploymentPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'string', 0, 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 0, 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 0, 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE,
    ...templateColumns('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'),
  ],
  cells: (o, now) => {
    const d = o as Any;
    const [cs, images] = containersAndImages(d.spec?.template);
    return [
      name(o),
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      created(o, now),
      cs,
      images,
      selectorString(d.spec?.selector),
    ];
  },
};
