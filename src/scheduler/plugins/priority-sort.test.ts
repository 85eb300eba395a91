import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newPodInfo } from '../framework/pod-info.js';
import { makePod } from '../framework/testing.js';
import type { QueuedPodInfo } from '../framework/types.js';
import { PrioritySort } from './priority-sort.js';

function queued(priority: number | undefined, timestamp: number): QueuedPodInfo {
  const pod = makePod(`p-${priority}-${timestamp}`, priority === undefined ? {} : { priority });
  return { podInfo: newPodInfo(pod), initialAttemptTimestamp: timestamp, timestamp, attempts: 0, unschedulablePlugins: new Set() };
}

describe('PrioritySort', () => {
  const pl = new PrioritySort(undefined);
  const cases: Array<{ name: string; a: QueuedPodInfo; b: QueuedPodInfo; want: boolean }> = [
    { name: 'higher priority first', a: queued(100, 2000), b: queued(10, 1000), want: true },
    { name: 'lower priority after', a: queued(10, 1000), b: queued(100, 2000), want: false },
    { name: 'equal priority: earlier timestamp first', a: queued(5, 1000), b: queued(5, 2000), want: true },
    { name: 'equal priority: later timestamp after', a: queued(5, 2000), b: queued(5, 1000), want: false },
    { name: 'equal priority and timestamp: not less', a: queued(5, 1000), b: queued(5, 1000), want: false },
    { name: 'missing priority counts as 0', a: queued(undefined, 1000), b: queued(1, 2000), want: false },
    { name: 'negative priority sorts after missing', a: queued(-1, 1000), b: queued(undefined, 2000), want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(pl.less(c.a, c.b), c.want));

  it('sorts a queue', () => {
    const items = [queued(0, 3), queued(10, 5), queued(0, 1), queued(10, 4)];
    items.sort((x, y) => (pl.less(x, y) ? -1 : pl.less(y, x) ? 1 : 0));
    assert.deepEqual(
      items.map((q) => [q.podInfo.pod.spec?.priority, q.timestamp]),
      [
        [10, 4],
        [10, 5],
        [0, 1],
        [0, 3],
      ],
    );
  });

  it('has the upstream name and rejects args', () => {
    assert.equal(pl.name, 'PrioritySort');
    assert.equal(PrioritySort.NAME, 'PrioritySort');
    assert.throws(() => new PrioritySort({ foo: 1 }), /PrioritySort: takes no args/);
    assert.deepEqual(pl.eventsToRegister(), []);
  });
});
