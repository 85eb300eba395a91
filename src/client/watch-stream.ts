// Framing of a watch response: newline-delimited JSON events arriving in arbitrary chunks (a
// line, or a multi-byte character, may be split between two chunks).
import { StringDecoder } from 'node:string_decoder';
import type { WatchEvent, WatchEventType } from './types.js';

const TYPES = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

export class WatchDecodeError extends Error {
  override readonly name = 'WatchDecodeError';
}

export class WatchDecoder<T = unknown> {
  private readonly text = new StringDecoder('utf8');
  private pending = '';

  /** The complete events in this chunk (and any line left over from earlier chunks). */
  push(chunk: Buffer | string): WatchEvent<T>[] {
    // Lines are cut from the text by position; what follows the last newline waits for more.
    // (A chunk holds many events: the server writes those of one turn together.)
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.text.write(chunk));
    const out: WatchEvent<T>[] = [];
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.trim()) out.push(parseEvent<T>(line));
    }
    this.pending = text.slice(start);
    return out;
  }

  /** The stream ended: a last event without a trailing newline is still an event. */
  end(): WatchEvent<T>[] {
    const rest = (this.pending + this.text.end()).trim();
    this.pending = '';
    return rest ? [parseEvent<T>(rest)] : [];
  }
}

function parseEvent<T>(line: string): WatchEvent<T> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new WatchDecodeError(`watch stream: invalid JSON (${(e as Error).message}): ${line.slice(0, 120)}`);
  }
  const ev = v as { type?: unknown; object?: unknown };
  if (!ev || typeof ev !== 'object' || !TYPES.has(ev.type as WatchEventType) || !ev.object || typeof ev.object !== 'object') {
    throw new WatchDecodeError(`watch stream: not a watch event: ${line.slice(0, 120)}`);
  }
  return { type: ev.type as WatchEventType, object: ev.object as T };
}
