// The endpoints table, as upstream's printEndpoints: at most three ip:port pairs, then
// "+ N more...".
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

const MAX_SHOWN = 3;

const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** Upstream's formatEndpoints: ready addresses only, one entry per address and port. */
export function formatEndpoints(subsets: Any[] | undefined): string {
  if (!subsets?.length) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addrs: Any[] = ss.addresses ?? [];
    // A headless service may have no ports: its addresses alone.
    const entries: string[] = (ss.ports ?? []).length ? (ss.ports as Any[]).flatMap((p) => addrs.map((a) => hostPort(a.ip, p.port))) : addrs.map((a) => a.ip);
    count += entries.length;
    for (const e of entries) if (list.length < MAX_SHOWN) list.push(e);
  }
  const s = list.join(',');
  if (count > MAX_SHOWN) return `${s} + ${count - MAX_SHOWN} more...`;
  return s || '<none>';
}

export const endpointsPrinter: Printer = {
  columns: [NAME, col('Endpoints', 'string', 0, 'Endpoints is the list of endpoints in the resource.'), AGE],
  cells: (o, now) => [name(o), formatEndpoints((o as Any).subsets), created(o, now)],
};
