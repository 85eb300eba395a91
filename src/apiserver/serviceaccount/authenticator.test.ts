import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import type { KObject } from '../../api/object.js';
import { keyId } from './jws.js';
import { TokenIssuer } from './issuer.js';
import { InvalidTokenError, ServiceAccountAuthenticator } from './authenticator.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const issuer = new TokenIssuer({ key: { privateKey, publicKey, kid: keyId(publicKey) } });

const objects = new Map<string, KObject>();
const put = (key: string, ns: string | undefined, name: string, uid: string, extra: Partial<KObject['metadata']> = {}) =>
  objects.set(`${key}/${ns ?? ''}/${name}`, { apiVersion: 'v1', kind: 'X', metadata: { name, namespace: ns, uid, ...extra } });
const authn = new ServiceAccountAuthenticator(issuer, async (key, ns, name) => objects.get(`${key}/${key === 'nodes' ? '' : ns}/${name}`));
const sa = { name: 'robot', uid: 'sa-1' };
const token = (more: Partial<Parameters<TokenIssuer['issue']>[0]> = {}) =>
  issuer.issue({ namespace: 'ns', serviceAccount: sa, audiences: issuer.audiences, expirationSeconds: 3600, ...more }).token;

test("a valid token is the ServiceAccount's user, with upstream's groups, uid and extra", async () => {
  put('serviceaccounts', 'ns', 'robot', 'sa-1');
  put('pods', 'ns', 'p', 'pod-1');
  const u = await authn.authenticate(token({ pod: { name: 'p', uid: 'pod-1' }, node: { name: 'n1', uid: 'node-1' } }));
  assert.equal(u!.name, 'system:serviceaccount:ns:robot');
  assert.equal(u!.uid, 'sa-1');
  assert.deepEqual(u!.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated']);
  assert.deepEqual(u!.extra!['authentication.kubernetes.io/pod-name'], ['p']);
  assert.deepEqual(u!.extra!['authentication.kubernetes.io/pod-uid'], ['pod-1']);
  assert.deepEqual(u!.extra!['authentication.kubernetes.io/node-name'], ['n1']);
  assert.match(u!.extra!['authentication.kubernetes.io/credential-id']![0]!, /^JTI=[0-9a-f-]{36}$/);
  // Not a JWS: another authenticator's token, not a refusal.
  assert.equal(await authn.authenticate('abcdef.0123456789abcdef'), undefined);
});

test('a deleted or recreated bound pod, a recreated ServiceAccount, another audience or expiry: refused', async () => {
  put('serviceaccounts', 'ns', 'robot', 'sa-1');
  put('pods', 'ns', 'p', 'pod-1');
  const bound = token({ pod: { name: 'p', uid: 'pod-1' } });
  assert.ok(await authn.authenticate(bound));
  objects.delete('pods/ns/p');
  // Refused on the very next request: the cache holds the signature check, not the objects'.
  await assert.rejects(authn.authenticate(bound), (e: Error) => e instanceof InvalidTokenError && /invalidated/.test(e.message));
  put('pods', 'ns', 'p', 'pod-2');
  await assert.rejects(authn.authenticate(bound), /invalidated/);
  // A pod being deleted keeps its token for upstream's 60 s leeway.
  put('pods', 'ns', 'p', 'pod-1', { deletionTimestamp: new Date(Date.now() - 30_000).toISOString() });
  assert.ok(await authn.authenticate(bound));
  put('pods', 'ns', 'p', 'pod-1', { deletionTimestamp: new Date(Date.now() - 90_000).toISOString() });
  await assert.rejects(authn.authenticate(bound), /invalidated/);

  const plain = token();
  put('serviceaccounts', 'ns', 'robot', 'sa-2');
  await assert.rejects(authn.authenticate(plain), /does not match claim/);
  objects.delete('serviceaccounts/ns/robot');
  await assert.rejects(authn.authenticate(plain), /not found/);
  put('serviceaccounts', 'ns', 'robot', 'sa-1');
  await assert.rejects(authn.authenticate(token({ audiences: ['vault'] })), /audiences/);
  const t = token({ expirationSeconds: 600 });
  assert.ok(await authn.authenticate(t));
  // Even a cached token stops at its expiry (plus leeway).
  await assert.rejects(authn.authenticate(t, Date.now() + 661_000), /expired/);
  // A secret-bound token dies with its secret; a node-bound one with its node.
  put('secrets', 'ns', 's', 'sec-1');
  const s = token({ secret: { name: 's', uid: 'sec-1' } });
  assert.ok(await authn.authenticate(s));
  objects.delete('secrets/ns/s');
  await assert.rejects(authn.authenticate(s), /invalidated/);
  const n = token({ node: { name: 'n1', uid: 'node-1' } });
  await assert.rejects(authn.authenticate(n), /invalidated/);
  put('nodes', undefined, 'n1', 'node-1');
  assert.ok(await authn.authenticate(n));
});

test('another key signing the same claims is refused; checking a cached token costs microseconds', async () => {
  put('serviceaccounts', 'ns', 'robot', 'sa-1');
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forger = new TokenIssuer({ key: { privateKey: other.privateKey, publicKey: other.publicKey, kid: keyId(publicKey) } });
  const forged = forger.issue({ namespace: 'ns', serviceAccount: sa, audiences: issuer.audiences, expirationSeconds: 3600 }).token;
  await assert.rejects(authn.authenticate(forged), /invalid signature/);

  const t = token();
  const n = 2000;
  let start = process.hrtime.bigint();
  for (let i = 0; i < 50; i++) await new ServiceAccountAuthenticator(issuer, async () => objects.get('serviceaccounts/ns/robot')).authenticate(t);
  const uncachedUs = Number(process.hrtime.bigint() - start) / 1000 / 50;
  await authn.authenticate(t);
  start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await authn.authenticate(t);
  const cachedUs = Number(process.hrtime.bigint() - start) / 1000 / n;
  console.log(`# service account token check: ${uncachedUs.toFixed(1)} µs uncached (RS256 verify), ${cachedUs.toFixed(1)} µs cached`);
  // Loose bounds (the machine is shared): a cached check must be well under the cost of a verify.
  assert.ok(cachedUs < uncachedUs, `cached ${cachedUs} µs vs uncached ${uncachedUs} µs`);
});
