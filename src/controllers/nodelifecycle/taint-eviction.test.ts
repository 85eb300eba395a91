import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planEviction, TimedWorkQueue } from './taint-eviction.js';

const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
const defaultTolerations = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

test('an intolerant pod is evicted at once', () => {
  const intolerant = [{ key: 'node.kubernetes.io/unreachable', operator: 'Equal', value: 'never', effect: 'NoExecute' }];
  assert.deepEqual(planEviction([unreachable], intolerant, 1000, undefined), { action: 'evict', createdAt: 1000, fireAt: 1000, cancelFirst: true });
  // An extra taint nobody tolerates makes even the default tolerations not enough.
  assert.equal(planEviction([unreachable, { key: 'example.com/maintenance', effect: 'NoExecute' }], defaultTolerations, 1000, undefined).action, 'evict');
});

test('a tolerating pod goes after its tolerationSeconds, counted from when the taint was first seen', () => {
  assert.deepEqual(planEviction([unreachable], defaultTolerations, 1000, undefined), { action: 'evict', createdAt: 1000, fireAt: 301_000, cancelFirst: false });
  const short = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 }];
  assert.deepEqual(planEviction([unreachable], short, 1000, undefined), { action: 'evict', createdAt: 1000, fireAt: 4000, cancelFirst: false });
  // Seen again later (another update of the node): the plan made stands.
  assert.deepEqual(planEviction([unreachable], short, 2500, { createdAt: 1000, fireAt: 4000 }), { action: 'keep' });
  // tolerationSeconds 0 means now.
  const zero = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }];
  assert.deepEqual(planEviction([unreachable], zero, 1000, undefined), { action: 'evict', createdAt: 1000, fireAt: 1000, cancelFirst: false });
});

test('tolerating forever, or the taints gone, cancels', () => {
  assert.deepEqual(planEviction([unreachable], [{ operator: 'Exists' }], 1000, { createdAt: 0, fireAt: 300_000 }), { action: 'cancel' });
  assert.deepEqual(planEviction([], defaultTolerations, 1000, { createdAt: 0, fireAt: 300_000 }), { action: 'cancel' });
});

test('timed work fires at its time, can be cancelled, and is not planned twice once done', async () => {
  const fired: string[] = [];
  const q = new TimedWorkQueue(async (key) => (fired.push(key), true));
  const now = Date.now();
  q.add('ns/soon', now, now + 20);
  q.add('ns/later', now, now + 60);
  q.add('ns/cancelled', now, now + 20);
  assert.deepEqual(q.get('ns/later'), { createdAt: now, fireAt: now + 60 });
  assert.equal(q.cancel('ns/cancelled'), true);
  assert.equal(q.cancel('ns/cancelled'), false);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(fired, ['ns/soon']);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(fired, ['ns/soon', 'ns/later']);
  // Done work stays as done: adding it again does nothing until it is cancelled (pod gone).
  assert.equal(q.get('ns/soon'), undefined);
  q.add('ns/soon', Date.now(), Date.now());
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(fired, ['ns/soon', 'ns/later']);
  assert.equal(q.cancel('ns/soon'), false, 'nothing pending to cancel');
  q.add('ns/soon', Date.now(), Date.now());
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(fired, ['ns/soon', 'ns/later', 'ns/soon']);
  q.stop();
});
