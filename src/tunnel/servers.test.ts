import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiServerUrls } from './servers.js';

test('every address of default/kubernetes, at its https port (IPv6 in brackets)', () => {
  assert.deepEqual(
    apiServerUrls({
      subsets: [
        { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'https', port: 6443 }] },
        { addresses: [{ ip: 'fd00::1' }], ports: [{ name: 'https', port: 6444 }] },
        { addresses: [{ ip: '10.0.0.9' }], ports: [{ name: 'metrics', port: 9000 }] },
      ],
    }),
    ['https://10.0.0.1:6443', 'https://10.0.0.2:6443', 'https://[fd00::1]:6444'],
  );
  assert.deepEqual(apiServerUrls({}), []);
});

test('one tunnel per API server: the joined one always, the others as default/kubernetes lists them', async () => {
  const { ServerTunnels } = await import('./servers.js');
  // Ports nothing listens on: the dials fail and are retried, which is all this test needs.
  let listed = [{ ip: '127.0.0.1' }, { ip: '127.0.0.2' }];
  let reads = 0;
  const client = {
    get: async () => {
      reads++;
      return { subsets: [{ addresses: listed, ports: [{ name: 'https', port: 9 }] }] };
    },
  };
  const t = new ServerTunnels({
    server: 'https://127.0.0.1:9/',
    client: client as never,
    credentials: () => ({ ca: '', cert: '', key: '' }),
    endpoint: { host: '127.0.0.1', port: 9 },
    log: () => undefined,
    refreshMs: 30,
    minBackoffMs: 60_000,
  });
  try {
    await t.start();
    assert.deepEqual(t.servers.sort(), ['https://127.0.0.1:9', 'https://127.0.0.2:9']);
    listed = [{ ip: '127.0.0.3' }];
    const before = reads;
    for (let i = 0; i < 100 && reads < before + 2; i++) await new Promise((r) => setTimeout(r, 10));
    // The joined server stays though no longer listed; 127.0.0.2 left the list and its tunnel goes.
    assert.deepEqual(t.servers.sort(), ['https://127.0.0.1:9', 'https://127.0.0.3:9']);
  } finally {
    t.stop();
  }
  assert.deepEqual(t.servers, []);
});
