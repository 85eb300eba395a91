// The leases table, as upstream's printLease.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const leasePrinter: Printer = {
  columns: [NAME, col('Holder', 'string', 0, 'HolderIdentity contains the identity of the holder of a current lease.'), AGE],
  cells: (o, now) => [name(o), (o as Any).spec?.holderIdentity ?? '', created(o, now)],
};
