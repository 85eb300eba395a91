// The table of a kind without a printer of its own, as upstream's default table convertor.
import type { Printer } from '../resource.js';
import { NAME, col, name } from './columns.js';

export const defaultPrinter: Printer = {
  columns: [NAME, col('Created At', 'date', 0, 'CreationTimestamp is a timestamp representing the server time when this object was created.')],
  cells: (o) => [name(o), o.metadata.creationTimestamp ?? ''],
};
