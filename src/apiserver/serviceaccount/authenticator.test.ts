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

test('another key signing the same claims is refused; a cached token is not verified again', async () => {
  put('serviceaccounts', 'ns', 'robot', 'sa-1');
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forger = new TokenIssuer({ key: { privateKey: other.privateKey, publicKey: other.publicKey, kid: keyId(publicKey) } });
  const forged = forger.issue({ namespace: 'ns', serviceAccount: sa, audiences: issuer.audiences, expirationSeconds: 3600 }).token;
  await assert.rejects(authn.authenticate(forged), /invalid signature/);

  // The signature check (RSA verify, tens of µs) reads the issuer's keys: count the reads.
  let keyReads = 0;
  const counting = Object.create(issuer, { keys: { get: () => (keyReads++, issuer.keys) } }) as TokenIssuer;
  const cached = new ServiceAccountAuthenticator(counting, async () => objects.get('serviceaccounts/ns/robot'));
  const t = token();
  assert.equal((await cached.authenticate(t))!.name, 'system:serviceaccount:ns:robot');
  const verifies = keyReads;
  assert.ok(verifies > 0, 'the first check verifies the signature');
  for (let i = 0; i < 100; i++) assert.equal((await cached.authenticate(t))!.name, 'system:serviceaccount:ns:robot');
  assert.equal(keyReads, verifies, 'later checks of the same token come from the cache');
  // A different token is verified, and a forged one is still refused after the cache holds a good one.
  await cached.authenticate(token());
  assert.ok(keyReads > verifies);
  await assert.rejects(cached.authenticate(forged), /invalid signature/);
});
