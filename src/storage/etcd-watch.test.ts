import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IEvent, IWatchRequest, IWatchResponse } from 'etcd3/lib/rpc.js';
import { ResumingWatch, type WatchStream } from './etcd-watch.js';
import { CompactedError } from './store.js';

/** A stand-in for etcd's Watch stream: records requests, lets the test answer and break it. */
class FakeStream extends EventEmitter {
  requests: IWatchRequest[] = [];
  cancelled = false;
  write(r: IWatchRequest): void {
    this.requests.push(r);
  }
  end(): void {}
  cancel(): void {
    this.cancelled = true;
  }
  respond(r: Partial<IWatchResponse> & { revision: number }): void {
    const { revision, ...rest } = r;
    this.emit('data', {
      header: { revision: String(revision) },
      watch_id: '7',
      created: false,
      canceled: false,
      compact_revision: '0',
      cancel_reason: '',
      fragment: false,
      events: [],
      ...rest,
    });
  }
}

const put = (key: string, rev: number): IEvent =>
  ({
    type: 'Put',
    kv: { key: Buffer.from(key), value: Buffer.from('v'), create_revision: String(rev), mod_revision: String(rev), version: '1', lease: '0' },
  }) as IEvent;

function harness(fromRevision: number) {
  const streams: FakeStream[] = [];
  const got: { events: number[]; resumed: number[]; interrupted: string[]; progress: number[]; failed: Error[] } = {
    events: [],
    resumed: [],
    interrupted: [],
    progress: [],
    failed: [],
  };
  const w = new ResumingWatch({
    key: Buffer.from('/a/'),
    rangeEnd: Buffer.from('/a0'),
    fromRevision,
    minRetryMs: 1,
    maxRetryMs: 2,
    open: async () => {
      const s = new FakeStream();
      streams.push(s);
      return s as unknown as WatchStream;
    },
    sink: {
      events: (evs) => got.events.push(...evs.map((e) => Number(e.kv.mod_revision))),
      resumed: (r) => got.resumed.push(r),
      interrupted: (r) => got.interrupted.push(r),
      progress: (r) => got.progress.push(r),
      failed: (e) => got.failed.push(e),
    },
  });
  const next = async (n: number) => {
    for (let i = 0; i < 200 && streams.length < n; i++) await new Promise((r) => setTimeout(r, 2));
    assert.equal(streams.length, n, `stream ${n} opened`);
    return streams[n - 1]!;
  };
  return { w, got, next };
}

const startOf = (s: FakeStream) => Number(s.requests[0]?.create_request?.start_revision);

test("etcd watch: a stream lost during catch-up resumes after the last delivered event, not at etcd's header revision", async () => {
  const { w, got, next } = harness(10);
  const s1 = await next(1);
  assert.equal(startOf(s1), 11);
  // etcd stamps "created" with its current revision (50) while events 11..50 are still to come.
  s1.respond({ created: true, revision: 50 });
  s1.respond({ events: [put('/a/x', 12), put('/a/y', 15)], revision: 50 });
  s1.emit('error', new Error('14 UNAVAILABLE: Connection dropped'));
  const s2 = await next(2);
  assert.ok(s1.cancelled);
  assert.equal(startOf(s2), 16, 'resumes from the revision after the last event delivered');
  s2.respond({ created: true, revision: 60 });
  // A replayed revision (defensive) is not delivered twice; new ones are.
  s2.respond({ events: [put('/a/y', 15), put('/a/z', 40)], revision: 60 });
  assert.deepEqual(got.events, [12, 15, 40]);
  assert.deepEqual(got.resumed, [50, 60]);
  assert.equal(got.interrupted.length, 1);
  assert.match(got.interrupted[0]!, /UNAVAILABLE/);
  // Events from the broken stream that arrive late are ignored.
  s1.respond({ events: [put('/a/late', 45)], revision: 50 });
  assert.deepEqual(got.events, [12, 15, 40]);
  w.cancel();
  assert.ok(s2.cancelled);
});

test('etcd watch: a compacted resume point ends the watch with CompactedError', async () => {
  const { got, next } = harness(10);
  const s1 = await next(1);
  s1.respond({ created: true, revision: 30 });
  s1.emit('end');
  const s2 = await next(2);
  s2.respond({ created: true, revision: 90 });
  s2.respond({ canceled: true, compact_revision: '70', revision: 90 });
  assert.equal(got.failed.length, 1);
  assert.ok(got.failed[0] instanceof CompactedError);
  assert.equal((got.failed[0] as CompactedError).requested, 10);
  assert.equal((got.failed[0] as CompactedError).compacted, 70);
  assert.ok(s2.cancelled);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(s2.requests.length, 1, 'no new stream after a final failure');
});

test('etcd watch: progress of this watch advances the resume point; broadcast progress (watch_id -1) is ignored', async () => {
  const { w, got, next } = harness(10);
  const s1 = await next(1);
  s1.respond({ created: true, revision: 10 });
  s1.respond({ watch_id: '-1', revision: 99 });
  s1.respond({ revision: 80 });
  assert.deepEqual(got.progress, [80]);
  assert.equal(w.nextRevision, 81);
  s1.emit('error', new Error('connection reset'));
  const s2 = await next(2);
  assert.equal(startOf(s2), 81);
  w.cancel();
});

test('etcd watch: a stream etcd cancels without compaction is re-opened, a refused one fails', async () => {
  const { got, next } = harness(5);
  const s1 = await next(1);
  s1.respond({ created: true, revision: 5 });
  s1.respond({ canceled: true, cancel_reason: 'etcdserver: no leader', revision: 5 });
  const s2 = await next(2);
  assert.equal(startOf(s2), 6);
  assert.match(got.interrupted[0]!, /no leader/);
  s2.respond({ created: true, canceled: true, cancel_reason: 'permission denied', revision: 5 });
  assert.match(got.failed[0]!.message, /refused the watch: permission denied/);
});
