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
