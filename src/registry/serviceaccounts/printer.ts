// The serviceaccounts table, as upstream's printServiceAccount.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const serviceAccountPrinter: Printer = {
  columns: [
    NAME,
    col('Secrets', 'string', 0, 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
    AGE,
  ],
  cells: (o, now) => [name(o), ((o as Any).secrets ?? []).length, created(o, now)],
};
