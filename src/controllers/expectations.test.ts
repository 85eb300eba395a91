import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Expectations } from './expectations.js';

test('creations: satisfied once every expected create is observed', () => {
  const e = new Expectations();
  assert.ok(e.satisfied('ns/rs'), 'nothing recorded');
  e.expectCreations('ns/rs', 2);
  assert.ok(!e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  assert.ok(!e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  assert.ok(e.satisfied('ns/rs'));
  assert.deepEqual(e.pending('ns/rs'), { add: 0, del: 0 });
});

test('deletions are tracked by pod key: each counts once, strangers not at all', () => {
  const e = new Expectations();
  e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
  e.deletionObserved('ns/rs', 'ns/a');
  e.deletionObserved('ns/rs', 'ns/a');
  e.deletionObserved('ns/rs', 'ns/zzz');
  assert.ok(!e.satisfied('ns/rs'));
  e.deletionObserved('ns/rs', 'ns/b');
  assert.ok(e.satisfied('ns/rs'));
});

test('unmet expectations expire after the TTL', () => {
  let now = 0;
  const e = new Expectations(() => now, 1000);
  e.expectCreations('k', 1);
  assert.equal(e.expiresIn('k'), 1000);
  now = 999;
  assert.ok(!e.satisfied('k'));
  now = 1001;
  assert.ok(e.satisfied('k'));
  assert.equal(e.expiresIn('k'), undefined);
  e.delete('k');
  assert.equal(e.pending('k'), undefined);
});
