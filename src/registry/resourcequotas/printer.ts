// The resourcequotas table, as upstream's printResourceQuota: each hard resource as
// `name: used/hard`, limits.* under LIMIT and the rest under REQUEST.
import type { ResourceQuota } from 'kubernetes-types/core/v1';
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name } from '../../api/printers/columns.js';
import { parseList } from '../../api/quota/usage.js';

export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME,
    AGE,
    col('Request', 'string', 0, 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 0, 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  cells: (o, now) => {
    const status = (o as ResourceQuota).status;
    const hard = parseList(status?.hard);
    const used = parseList(status?.used);
    const request: string[] = [];
    const limit: string[] = [];
    for (const r of [...hard.keys()].sort()) {
      const cell = `${r}: ${used.get(r)?.toString() ?? '0'}/${hard.get(r)}`;
      (r.split('.')[0] === 'limits' && r.includes('.') ? limit : request).push(cell);
    }
    return [name(o), created(o, now), request.join(', '), limit.join(', ')];
  },
};
