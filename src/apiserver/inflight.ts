// kube-apiserver's --max-requests-inflight / --max-mutating-requests-inflight: at most so many
// read-only and so many mutating requests are served at once; beyond them the answer is
// 429 TooManyRequests with Retry-After, so that a flood of clients slows down rather than
// taking the server's memory and every other client's latency with it. Long-running requests
// (watches, logs, exec) are not counted, as upstream: they are few and live for minutes.
import type { ServerResponse } from 'node:http';
import { ApiError } from './errors.js';

export interface InflightLimits {
  /** 0: no limit. */
  maxReadOnly: number;
  /** 0: no limit. */
  maxMutating: number;
}

export const DEFAULT_INFLIGHT_LIMITS: InflightLimits = { maxReadOnly: 400, maxMutating: 200 };

/** As upstream's requestInfo: get, list and watch are read-only, every other verb mutates. */
export function isMutating(method: string | undefined): boolean {
  return !(method === 'GET' || method === 'HEAD' || method === 'OPTIONS');
}

/** The `watch` query parameter as upstream parses it (Go's strconv.ParseBool). */
export function isWatchParam(value: string | null): boolean {
  return value !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value);
}

/** Upstream's long-running check: watches and the streaming subresources. */
export function isLongRunning(opts: { watch: boolean; subresource?: string }): boolean {
  return opts.watch || ['log', 'exec', 'attach', 'portforward', 'proxy'].includes(opts.subresource ?? '');
}

export class InflightLimiter {
  private readOnly = 0;
  private mutating = 0;
  /** Requests answered 429, since start. */
  rejected = 0;

  constructor(readonly limits: InflightLimits = DEFAULT_INFLIGHT_LIMITS) {}

  get inflight(): { readOnly: number; mutating: number } {
    return { readOnly: this.readOnly, mutating: this.mutating };
  }

  /**
   * Takes a slot for the request until its response is over; throws the 429 when none is free.
   */
  admit(method: string | undefined, res: ServerResponse): void {
    const mutating = isMutating(method);
    const max = mutating ? this.limits.maxMutating : this.limits.maxReadOnly;
    const current = mutating ? this.mutating : this.readOnly;
    if (max > 0 && current >= max) {
      this.rejected++;
      throw new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 });
    }
    if (mutating) this.mutating++;
    else this.readOnly++;
    let released = false;
    // 'close' comes whether the response finished or the client went away.
    res.once('close', () => {
      if (released) return;
      released = true;
      if (mutating) this.mutating--;
      else this.readOnly--;
    });
  }
}
