// The poddisruptionbudgets table, as upstream's printPodDisruptionBudget.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

const orNA = (v: number | string | undefined) => (v === undefined ? 'N/A' : String(v));

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME,
    col('Min Available', 'string', 0, 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 0, 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 0, 'Calculated number of pods that may be disrupted at this time.'),
    AGE,
  ],
  cells: (o, now) => {
    const pdb = o as Any;
    return [name(o), orNA(pdb.spec?.minAvailable), orNA(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, created(o, now)];
  },
};
