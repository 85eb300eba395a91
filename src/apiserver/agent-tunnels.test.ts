import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentTunnels, nodeIdentity } from './agent-tunnels.js';

test('only system:node:NAME in system:nodes is a node, and only as NAME', () => {
  assert.equal(nodeIdentity({ name: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] }), 'n1');
  assert.equal(nodeIdentity({ name: 'system:node:n1', groups: ['system:authenticated'] }), undefined, 'the group is required');
  assert.equal(nodeIdentity({ name: 'system:node:', groups: ['system:nodes'] }), undefined, 'a name is required');
  assert.equal(nodeIdentity({ name: 'admin', groups: ['system:masters', 'system:nodes'] }), undefined);
  assert.equal(nodeIdentity({ name: 'system:bootstrap:server', groups: ['system:bootstrappers'] }), undefined);
});

test('the tunnel path, with or without a trailing slash or query; nothing else', () => {
  assert.ok(AgentTunnels.serves('/v1-berth/connect'));
  assert.ok(AgentTunnels.serves('/v1-berth/connect/?x=1'));
  assert.ok(!AgentTunnels.serves('/v1-berth/connectx'));
  assert.ok(!AgentTunnels.serves('/api/v1/namespaces/default/pods/p/exec'));
  assert.ok(!AgentTunnels.serves(undefined));
});

test('a node without a tunnel has none to give', () => {
  const t = new AgentTunnels({ log: () => undefined });
  assert.equal(t.get('n1'), undefined);
  assert.deepEqual(t.nodes(), []);
  t.close();
});
