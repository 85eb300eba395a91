import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { ApiError } from './errors.js';
import { InflightLimiter, isLongRunning, isWatchParam } from './inflight.js';

/** Enough of a response for the limiter: headers and its 'close'. */
function response() {
  const e = new EventEmitter() as EventEmitter & { headers: Record<string, string>; setHeader(k: string, v: string): void };
  e.headers = {};
  e.setHeader = (k, v) => (e.headers[k] = v);
  return e;
}

test('inflight: read-only and mutating requests have their own limits; a closed response frees its slot', () => {
  const l = new InflightLimiter({ maxReadOnly: 2, maxMutating: 1 });
  const gets = [response(), response()];
  for (const g of gets) l.admit('GET', g as unknown as ServerResponse);
  const post = response();
  l.admit('POST', post as unknown as ServerResponse);
  assert.deepEqual(l.inflight, { readOnly: 2, mutating: 1 });
  const third = response();
  assert.throws(
    () => l.admit('GET', third as unknown as ServerResponse),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 429 &&
      e.reason === 'TooManyRequests' &&
      e.message === 'Too many requests, please try again later.' &&
      e.details?.retryAfterSeconds === 1,
  );
  assert.throws(() => l.admit('PATCH', response() as unknown as ServerResponse), ApiError);
  gets[0]!.emit('close');
  gets[0]!.emit('close');
  assert.deepEqual(l.inflight, { readOnly: 1, mutating: 1 });
  l.admit('GET', response() as unknown as ServerResponse);
  post.emit('close');
  l.admit('DELETE', response() as unknown as ServerResponse);
  assert.equal(l.rejected, 2);
});

test('inflight: 0 is no limit; watches and streaming subresources are long-running', () => {
  const l = new InflightLimiter({ maxReadOnly: 0, maxMutating: 0 });
  for (let i = 0; i < 1000; i++) l.admit(i % 2 ? 'GET' : 'PUT', response() as unknown as ServerResponse);
  assert.deepEqual(l.inflight, { readOnly: 500, mutating: 500 });
  assert.equal(isWatchParam('true'), true);
  assert.equal(isWatchParam('1'), true);
  assert.equal(isWatchParam('false'), false);
  assert.equal(isWatchParam(null), false);
  assert.equal(isLongRunning({ watch: true }), true);
  for (const sub of ['log', 'exec', 'attach', 'portforward', 'proxy']) assert.equal(isLongRunning({ watch: false, subresource: sub }), true);
  assert.equal(isLongRunning({ watch: false, subresource: 'status' }), false);
  assert.equal(isLongRunning({ watch: false }), false);
});
