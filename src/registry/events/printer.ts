// The events table, as upstream's printEvent, for both API versions: LAST SEEN with the
// series count, OBJECT as kind/name, SOURCE as component and host.
import type { KObject } from '../../api/object.js';
import type { Printer } from '../../api/resource.js';
import { age } from '../../api/printers/duration.js';
import { col, name, type Any } from '../../api/printers/columns.js';

/** `v1` reads events.k8s.io/v1 field names, otherwise core v1's. */
function eventCells(o: KObject, now: Date, v1: boolean): unknown[] {
  const e = o as Any;
  const regarding = v1 ? (e.regarding ?? {}) : (e.involvedObject ?? {});
  const series = e.series;
  const count = v1 ? (series?.count ?? e.deprecatedCount ?? 1) : (series?.count ?? e.count ?? 1);
  const first = v1 ? e.deprecatedFirstTimestamp : e.firstTimestamp;
  const last = series?.lastObservedTime ?? (v1 ? e.deprecatedLastTimestamp : e.lastTimestamp) ?? e.eventTime ?? first;
  let lastSeen = age(last, now);
  if (count > 1 && first) lastSeen = `${lastSeen} (x${count} over ${age(first, now)})`;
  const source = v1
    ? [e.reportingController, e.reportingInstance].filter(Boolean).join(', ')
    : [e.source?.component ?? e.reportingComponent, e.source?.host ?? e.reportingInstance].filter(Boolean).join(', ');
  return [
    lastSeen,
    e.type ?? '',
    e.reason ?? '',
    `${String(regarding.kind ?? '').toLowerCase()}/${regarding.name ?? ''}`,
    regarding.fieldPath ?? '',
    source,
    v1 ? (e.note ?? '') : (e.message ?? ''),
    age(first ?? e.eventTime, now),
    count,
    name(o),
  ];
}

const EVENT_COLUMNS = [
  col('Last Seen'),
  col('Type'),
  col('Reason'),
  col('Object'),
  col('Subobject', 'string', 1),
  col('Source', 'string', 1),
  col('Message'),
  col('First Seen', 'string', 1),
  col('Count', 'string', 1),
  col('Name', 'string', 1),
];

export const coreEventPrinter: Printer = { columns: EVENT_COLUMNS, cells: (o, now) => eventCells(o, now, false) };
export const eventPrinter: Printer = { columns: EVENT_COLUMNS, cells: (o, now) => eventCells(o, now, true) };
