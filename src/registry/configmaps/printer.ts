// The configmaps table, as upstream's printConfigMap: DATA counts data and binaryData keys.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const configMapPrinter: Printer = {
  columns: [NAME, col('Data', 'integer', 0, 'Data contains the configuration data.'), AGE],
  cells: (o, now) => [name(o), Object.keys((o as Any).data ?? {}).length + Object.keys((o as Any).binaryData ?? {}).length, created(o, now)],
};
