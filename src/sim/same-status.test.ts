import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameStatus } from './same-status.js';

test('key order, null versus absent and empty containers are not changes', () => {
  assert.ok(sameStatus({ phase: 'Running', podIP: '10.0.0.2' }, { podIP: '10.0.0.2', phase: 'Running' }));
  assert.ok(sameStatus({ a: null, b: [], c: {}, d: { lastState: {} } }, {}));
  assert.ok(sameStatus(undefined, {}));
  assert.ok(sameStatus({ conditions: [{ type: 'Ready', lastProbeTime: null, status: 'True' }] }, { conditions: [{ status: 'True', type: 'Ready' }] }));
});

test('values, list order and added fields are changes', () => {
  assert.ok(!sameStatus({ phase: 'Running' }, { phase: 'Pending' }));
  assert.ok(!sameStatus({ l: [1, 2] }, { l: [2, 1] }));
  assert.ok(!sameStatus({ phase: 'Running' }, { phase: 'Running', podIP: '10.0.0.2' }));
  assert.ok(!sameStatus({ ready: false }, {}), 'false is a value');
  assert.ok(!sameStatus({ restartCount: 0 }, {}), '0 is a value');
});
