// The secrets table, as upstream's printSecret.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const secretPrinter: Printer = {
  columns: [NAME, col('Type', 'string', 0, 'The type of secret'), col('Data', 'integer', 0, 'Data contains the secret data.'), AGE],
  cells: (o, now) => [name(o), (o as Any).type ?? '', Object.keys((o as Any).data ?? {}).length, created(o, now)],
};
