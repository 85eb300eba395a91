// The statefulsets table, as upstream's printStatefulSet: READY as ready/desired, and no
// selector column (upstream's wide output stops at the images).
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';
import { containersAndImages, templateColumns } from '../../api/printers/workload.js';

export const statefulSetPrinter: Printer = {
  columns: [NAME, col('Ready', 'string', 0, 'Number of the pod with ready state'), AGE, ...templateColumns('').slice(0, 2)],
  cells: (o, now) => {
    const s = o as Any;
    const [cs, images] = containersAndImages(s.spec?.template);
    return [name(o), `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`, created(o, now), cs, images];
  },
};
