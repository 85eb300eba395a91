// The daemonsets table, as upstream's printDaemonSet: the template's node selector as its own column.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, orNone, type Any } from '../../api/printers/columns.js';
import { containersAndImages, selectorString, templateColumns } from '../../api/printers/workload.js';

export const daemonSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', 'integer', 0, 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).'),
    col('Current', 'integer', 0, 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    col(
      'Ready',
      'integer',
      0,
      'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
    ),
    col('Up-to-date', 'integer', 0, 'The total number of nodes that are running updated daemon pod'),
    col(
      'Available',
      'integer',
      0,
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
    ),
    col(
      'Node Selector',
      'string',
      0,
      "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
    ),
    AGE,
    ...templateColumns('A label query over pods that are managed by the daemon set.'),
  ],
  cells: (o, now) => {
    const ds = o as Any;
    const s = ds.status ?? {};
    const [cs, images] = containersAndImages(ds.spec?.template);
    const sel = ds.spec?.template?.spec?.nodeSelector ?? {};
    const nodeSelector = Object.keys(sel)
      .sort()
      .map((k) => `${k}=${sel[k]}`)
      .join(',');
    return [
      name(o),
      s.desiredNumberScheduled ?? 0,
      s.currentNumberScheduled ?? 0,
      s.numberReady ?? 0,
      s.updatedNumberScheduled ?? 0,
      s.numberAvailable ?? 0,
      orNone(nodeSelector),
      created(o, now),
      cs,
      images,
      selectorString(ds.spec?.selector),
    ];
  },
};
