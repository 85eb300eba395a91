// The endpointslices table, as upstream's printEndpointSlice: at most three ports and three
// addresses, then "+ N more...", and <unset> for none.
import type { Printer } from '../../api/resource.js';
import { AGE, NAME, col, created, name, type Any } from '../../api/printers/columns.js';

const MAX_SHOWN = 3;

/** Upstream's listWithMoreString. */
function shortList(all: string[]): string {
  const s = all.slice(0, MAX_SHOWN).join(',');
  if (all.length > MAX_SHOWN) return `${s} + ${all.length - MAX_SHOWN} more...`;
  return s || '<unset>';
}

/** A port's number, else its name, else `*` (a port of every number). */
export const formatSlicePorts = (ports: Any[] | undefined) =>
  shortList((ports ?? []).map((p) => (p.port != null ? String(p.port) : p.name != null ? String(p.name) : '*')));
export const formatSliceEndpoints = (eps: Any[] | undefined) => shortList((eps ?? []).flatMap((e) => (e.addresses ?? []) as string[]));

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME,
    col(
      'AddressType',
      'string',
      0,
      'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation.',
    ),
    col('Ports', 'string', 0, 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'string', 0, 'endpoints is a list of unique endpoints in this slice.'),
    AGE,
  ],
  cells: (o, now) => [name(o), (o as Any).addressType ?? '', formatSlicePorts((o as Any).ports), formatSliceEndpoints((o as Any).endpoints), created(o, now)],
};
