// The csinodes table, as upstream's printCSINode: how many drivers the node registered.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const csiNodePrinter: Printer = {
  columns: [NAME, col('Drivers', 'integer', 0, 'Drivers indicates the number of CSI drivers registered on the node'), AGE],
  cells: (o, now) => [name(o), ((o as Any).spec?.drivers ?? []).length, created(o, now)],
};
