import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { SliceTracker } from './tracker.js';

const slice = (name: string, rv: string): EndpointSlice => ({ addressType: 'IPv4', endpoints: [], metadata: { name, resourceVersion: rv } });

test('the cache is current once it has every written version and no deleted slice', () => {
  const t = new SliceTracker();
  t.wrote('ns/web', slice('web-a', '10'));
  t.deleted('ns/web', 'web-b');
  assert.equal(t.cacheIsCurrent('ns/web', [slice('web-b', '3')]), false, 'web-a not seen, web-b still there');
  assert.equal(t.cacheIsCurrent('ns/web', [slice('web-a', '9')]), false, 'web-a seen at an older version');
  assert.equal(t.cacheIsCurrent('ns/web', [slice('web-a', '12')]), true);
  // Caught-up writes are forgotten: later cache states are judged on later writes only.
  assert.equal(t.cacheIsCurrent('ns/web', []), true);
  assert.equal(t.cacheIsCurrent('ns/other', []), true, 'nothing written for it');
});

test('a slice deleted by someone else is no longer waited for', () => {
  const t = new SliceTracker();
  t.wrote('ns/web', slice('web-a', '10'));
  assert.equal(t.cacheIsCurrent('ns/web', []), false);
  t.sawDeleted('ns/web', 'web-a');
  assert.equal(t.cacheIsCurrent('ns/web', []), true);
});
