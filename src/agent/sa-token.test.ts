import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { ServiceAccountTokens } from './sa-token.js';

const pod: Pod = { metadata: { name: 'p', namespace: 'ns', uid: 'uid-1' }, spec: { serviceAccountName: 'robot', containers: [] } };

test('a TokenRequest bound to the pod for its ServiceAccount, reused until 80 % of its life, then renewed', async () => {
  let now = Date.UTC(2026, 0, 1);
  const asked: Array<{ path: string; body: any }> = [];
  const client = {
    request: async (_m: string, path: string, body?: unknown) => {
      asked.push({ path, body });
      const exp = (body as { spec: { expirationSeconds: number } }).spec.expirationSeconds;
      return { status: { token: `t${asked.length}`, expirationTimestamp: new Date(now + exp * 1000).toISOString() } } as never;
    },
  };
  const tokens = new ServiceAccountTokens(client, () => now);
  assert.equal(await tokens.token(pod, undefined, 3607), 't1');
  assert.equal(asked[0]!.path, '/api/v1/namespaces/ns/serviceaccounts/robot/token');
  assert.deepEqual(asked[0]!.body.spec, {
    audiences: [],
    expirationSeconds: 3607,
    boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'uid-1' },
  });
  // Before 80 % of 3607 s less the 10 s jitter: the same token.
  now += (3607 * 0.8 - 11) * 1000;
  assert.equal(await tokens.token(pod, undefined, 3607), 't1');
  // Past 80 %: a new one.
  now += 12_000;
  assert.equal(await tokens.token(pod, undefined, 3607), 't2');
  // Another audience is another token; a forgotten pod asks again.
  assert.equal(await tokens.token(pod, 'vault', 3607), 't3');
  assert.deepEqual(asked[2]!.body.spec.audiences, ['vault']);
  tokens.forget('uid-1');
  assert.equal(await tokens.token(pod, undefined, 3607), 't4');
});

test('a lifetime the server shortened is renewed at 80 % of what was granted', async () => {
  let now = Date.UTC(2026, 0, 1);
  let n = 0;
  const client = {
    request: async () => ({ status: { token: `t${++n}`, expirationTimestamp: new Date(now + 1000 * 1000).toISOString() } }) as never,
  };
  const tokens = new ServiceAccountTokens(client, () => now);
  await tokens.token(pod, undefined, 7200);
  now += 785_000;
  assert.equal(await tokens.token(pod, undefined, 7200), 't1');
  now += 16_000;
  assert.equal(await tokens.token(pod, undefined, 7200), 't2');
});
