// What a kubelet's log endpoint shares whatever runs the containers: kubectl's log options as
// the endpoint parses them, and the timestamps it prints with --timestamps.

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  timestamps?: boolean;
  sinceTimeMs?: number;
  limitBytes?: number;
}

/**
 * A CRI timestamp as upstream's kubelet prints it with --timestamps: RFC3339 with exactly nine
 * fraction digits (runtimes may trim trailing zeros), in the zone the runtime wrote.
 */
export function fixedNanoTimestamp(t: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(t);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0').slice(0, 9)}${m[3]}` : t;
}
