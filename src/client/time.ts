// The two timestamp formats of the API: metav1.Time (RFC 3339, seconds) and metav1.MicroTime
// (RFC 3339 with six fractional digits). JavaScript has milliseconds; the rest are zeros.

let lastSecond = NaN;
let lastText = '';

/**
 * metav1.Time: 2006-01-02T15:04:05Z. Every write of the API server stamps one or two, so the
 * text of the last second is kept: formatting a Date costs ~10 µs, and most stamps fall in the
 * same second as the one before.
 */
export function rfc3339(d: Date = new Date()): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastSecond) {
    lastText = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastText;
}

/** metav1.MicroTime: 2006-01-02T15:04:05.000000Z */
export function microTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Parses either format (and anything else Date reads); undefined when absent or unreadable. */
export function parseTime(s: string | undefined | null): Date | undefined {
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Waits ms, or less if signal aborts first (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
