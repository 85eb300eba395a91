// The RoleBinding and ClusterRoleBinding table, as upstream's printRoleBinding and
// printClusterRoleBinding: the role, and with -o wide the subjects by kind.
import type { Printer } from '../resource.js';
import { AGE, NAME, col, created, name, type Any } from './columns.js';

/** Upstream's SubjectsStrings: users, groups and service accounts (`ns:name`), each joined by ", ". */
export function subjectsStrings(subjects: Any[] | undefined): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of subjects ?? []) {
    if (s?.kind === 'User') users.push(s.name);
    else if (s?.kind === 'Group') groups.push(s.name);
    else if (s?.kind === 'ServiceAccount') sas.push(s.namespace ? `${s.namespace}:${s.name}` : s.name);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

export const bindingPrinter: Printer = {
  columns: [
    NAME,
    col(
      'Role',
      'string',
      0,
      'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
    ),
    AGE,
    col('Users', 'string', 1, 'Users in the roleBinding'),
    col('Groups', 'string', 1, 'Groups in the roleBinding'),
    col('ServiceAccounts', 'string', 1, 'ServiceAccounts in the roleBinding'),
  ],
  cells: (o, now) => {
    const ref = (o as Any).roleRef ?? {};
    return [name(o), `${ref.kind ?? ''}/${ref.name ?? ''}`, created(o, now), ...subjectsStrings((o as Any).subjects)];
  },
};
