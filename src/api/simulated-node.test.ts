import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackAddress, isSimulatedNode, SIMULATED_NODE_LABEL } from './simulated-node.js';

test('loopback addresses are 127.0.0.0/8 and ::1 only', () => {
  for (const a of ['127.0.0.1', '127.3.2.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(a), true, a);
  for (const a of ['172.16.0.1', '10.0.0.1', '128.0.0.1', '0.0.0.0', '::', '::2', 'fe80::1', 'localhost', 'sim-0', ''])
    assert.equal(isLoopbackAddress(a), false, a);
});

test('a node is simulated when it carries the label with value "true"', () => {
  assert.equal(isSimulatedNode({ metadata: { labels: { [SIMULATED_NODE_LABEL]: 'true' } } }), true);
  assert.equal(isSimulatedNode({ metadata: { labels: { [SIMULATED_NODE_LABEL]: 'false' } } }), false);
  assert.equal(isSimulatedNode({ metadata: {} }), false);
  assert.equal(isSimulatedNode(undefined), false);
});
