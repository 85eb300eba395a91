// The controllerrevisions table, as upstream's printControllerRevision: the controller as
// kind.group/name.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

function controllerOf(o: Any): string {
  const ref = (o.metadata?.ownerReferences ?? []).find((r: Any) => r.controller === true);
  if (!ref) return '<none>';
  const group = String(ref.apiVersion ?? '').includes('/') ? String(ref.apiVersion).split('/')[0] : '';
  return `${String(ref.kind).toLowerCase()}${group ? `.${group}` : ''}/${ref.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME,
    col('Controller', 'string', 0, 'Controller of the object.'),
    col('Revision', 'integer', 0, 'Revision indicates the revision of the state represented by Data.'),
    AGE,
  ],
  cells: (o, now) => [name(o), controllerOf(o as Any), (o as Any).revision ?? 0, created(o, now)],
};
