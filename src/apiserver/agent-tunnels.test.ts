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

test('a node keeps at most 4 tunnels (the oldest go), the newest is used, and a closed one is forgotten', async () => {
  const { createServer } = await import('node:http');
  const { WebSocket } = await import('ws');
  const tunnels = new AgentTunnels({ log: () => undefined, pingIntervalMs: 60_000 });
  const srv = createServer();
  const refusals: string[] = [];
  srv.on('upgrade', (req, socket, head) => {
    const user = req.headers['x-user'] === 'admin' ? { name: 'admin', groups: ['system:masters'] } : { name: 'system:node:n1', groups: ['system:nodes'] };
    try {
      tunnels.accept(req, socket, head, user);
    } catch (e) {
      refusals.push((e as Error).message);
      socket.destroy();
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(srv.address() as { port: number }).port}/v1-berth/connect`;
  const dial = (headers: Record<string, string> = {}) =>
    new Promise<InstanceType<typeof WebSocket>>((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  try {
    await dial({ 'x-user': 'admin' }).catch(() => undefined);
    assert.match(refusals[0] ?? '', /User "admin" cannot create path "\/v1-berth\/connect": only nodes/);
    assert.equal(tunnels.get('admin'), undefined);

    const clients = [];
    for (let i = 0; i < 6; i++) clients.push(await dial());
    const closed = await Promise.all(
      clients.map((c) => new Promise<boolean>((r) => (c.readyState === c.CLOSED ? r(true) : setTimeout(() => r(c.readyState !== c.OPEN), 100)))),
    );
    assert.deepEqual(closed, [true, true, false, false, false, false]);
    assert.deepEqual(tunnels.nodes(), ['n1']);
    const newest = tunnels.get('n1');
    assert.ok(newest);
    clients[5]!.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.notEqual(tunnels.get('n1'), newest, 'the next newest is used once the newest closes');
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(tunnels.get('n1'), undefined);
    assert.deepEqual(tunnels.nodes(), []);
  } finally {
    tunnels.close();
    srv.close();
  }
});
