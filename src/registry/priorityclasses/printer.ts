// The priorityclasses table, as upstream's printPriorityClass.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

export const priorityClassPrinter: Printer = {
  columns: [
    NAME,
    col('Value', 'integer', 0, 'The value of this priority class.'),
    col('Global-Default', 'boolean', 0, 'globalDefault specifies whether this PriorityClass should be considered as the default priority.'),
    AGE,
    col('PreemptionPolicy', 'string', 0, 'PreemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  cells: (o, now) => [name(o), (o as Any).value ?? 0, (o as Any).globalDefault ?? false, created(o, now), (o as Any).preemptionPolicy ?? ''],
};
