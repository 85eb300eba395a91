// The namespaces table, as upstream's printNamespace.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const namespacePrinter: Printer = {
  columns: [NAME, col('Status', 'string', 0, 'The status of the namespace'), AGE],
  cells: (o, now) => [name(o), (o as Any).status?.phase ?? '', created(o, now)],
};
