// API errors as client-go's k8s.io/apimachinery/pkg/api/errors: every failed call surfaces the
// server's Status (code, reason, message), and callers branch on the reason, never on text.
import type { Status } from 'kubernetes-types/meta/v1';

export type { Status };

/** The reason upstream infers when a server answers an error without a Status body. */
const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/**
 * A call the server answered with an error Status: client-go's StatusError (the API server's
 * own error type, the one it answers with, is `ApiError` in src/apiserver/errors.ts).
 */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly code: number;
  readonly reason: string;

  constructor(readonly status: Status) {
    super(status.message || `the server responded with the status code ${status.code ?? 0} but did not return more information`);
    this.code = status.code ?? 0;
    this.reason = status.reason || REASON_BY_CODE[this.code] || 'Unknown';
  }

  /** An error for an HTTP answer: the body's Status when it is one, else one made from the code. */
  static fromResponse(code: number, body: string): StatusError {
    try {
      const parsed = JSON.parse(body) as Status;
      if (parsed && parsed.kind === 'Status') return new StatusError({ ...parsed, code: parsed.code || code });
    } catch {
      // not JSON: fall through
    }
    const text = body.trim();
    return new StatusError({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code,
      reason: REASON_BY_CODE[code] ?? 'Unknown',
      message: text
        ? `the server responded with the status code ${code}: ${text.slice(0, 200)}`
        : `the server responded with the status code ${code} but did not return more information`,
    });
  }
}

const reasonOf = (e: unknown) => (e instanceof StatusError ? e.reason : undefined);
const codeOf = (e: unknown) => (e instanceof StatusError ? e.code : undefined);

export const isNotFound = (e: unknown): boolean => reasonOf(e) === 'NotFound';
/** 409 because the object moved (stale resourceVersion, failed precondition) — retry on a fresh read. */
export const isConflict = (e: unknown): boolean => reasonOf(e) === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean => reasonOf(e) === 'AlreadyExists';
/** 410: the resourceVersion asked for is compacted away; the caller must re-list. */
export const isExpired = (e: unknown): boolean => reasonOf(e) === 'Expired' || reasonOf(e) === 'Gone' || codeOf(e) === 410;
export const isInvalid = (e: unknown): boolean => reasonOf(e) === 'Invalid';
export const isForbidden = (e: unknown): boolean => reasonOf(e) === 'Forbidden';
export const isTooManyRequests = (e: unknown): boolean => codeOf(e) === 429;
