// The flags of `berth server` that bound what clients can hold (kube-apiserver's
// --max-requests-inflight, --max-mutating-requests-inflight, --request-timeout, and Berth's own
// for the header timeout, connection cap and watch history) and its TLS (--tls-cipher-suites,
// --tls-min-version), checked into the API server's options.
import type { ServerLimits } from '../apiserver/server.js';
import { tlsSettings, type TlsSettings } from '../apiserver/tls-options.js';
import { DEFAULT_INFLIGHT_LIMITS } from '../apiserver/inflight.js';
import { DEFAULT_HISTORY_BYTES } from '../apiserver/watch-cache.js';

export interface ServerLimitFlags {
  maxRequestsInflight?: string;
  maxMutatingRequestsInflight?: string;
  requestTimeout?: string;
  headerTimeout?: string;
  maxConnections?: string;
  watchHistoryMib?: string;
  tlsCipherSuites?: string;
  tlsMinVersion?: string;
}

function wholeNumber(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v.trim())) throw new Error(`${flag} must be a whole number (0 for no limit), got "${v}"`);
  return Number(v);
}

function seconds(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const s = Number(v);
  if (v.trim() === '' || !Number.isFinite(s) || s <= 0) throw new Error(`${flag} must be a positive number of seconds, got "${v}"`);
  return Math.round(s * 1000);
}

/** The checked options; every mistake is one clear sentence naming the flag. */
export function serverLimits(flags: ServerLimitFlags): { limits: ServerLimits; tls: TlsSettings } {
  const requestTimeoutMs = seconds('--request-timeout', flags.requestTimeout, 60_000);
  const headerTimeoutMs = seconds('--header-timeout', flags.headerTimeout, Math.min(10_000, requestTimeoutMs));
  if (headerTimeoutMs > requestTimeoutMs)
    throw new Error(`--header-timeout (${headerTimeoutMs / 1000} s) must not exceed --request-timeout (${requestTimeoutMs / 1000} s)`);
  const historyMib = wholeNumber('--watch-history-mib', flags.watchHistoryMib, DEFAULT_HISTORY_BYTES / 1024 / 1024);
  return {
    limits: {
      inflight: {
        maxReadOnly: wholeNumber('--max-requests-inflight', flags.maxRequestsInflight, DEFAULT_INFLIGHT_LIMITS.maxReadOnly),
        maxMutating: wholeNumber('--max-mutating-requests-inflight', flags.maxMutatingRequestsInflight, DEFAULT_INFLIGHT_LIMITS.maxMutating),
      },
      connections: {
        requestTimeoutMs,
        headerTimeoutMs,
        handshakeTimeoutMs: headerTimeoutMs,
        maxConnections: wholeNumber('--max-connections', flags.maxConnections, 0),
      },
      watchHistoryBytes: historyMib * 1024 * 1024,
    },
    tls: tlsSettings(flags.tlsCipherSuites, flags.tlsMinVersion),
  };
}
