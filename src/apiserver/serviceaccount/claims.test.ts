import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkClaims, DEFAULT_ISSUER, tokenClaims } from './claims.js';

const base = {
  issuer: DEFAULT_ISSUER,
  namespace: 'ns',
  serviceAccount: { name: 'robot', uid: 'sa-uid' },
  audiences: ['https://kubernetes.default.svc.cluster.local'],
  expirationSeconds: 3600,
  now: Date.UTC(2026, 0, 1),
};

test("claims as upstream's: subject, times, jti and the kubernetes.io claim with the bound pod and its node", () => {
  const c = tokenClaims({ ...base, pod: { name: 'p', uid: 'pod-uid' }, node: { name: 'n1', uid: 'node-uid' } });
  const t = base.now / 1000;
  assert.equal(c.sub, 'system:serviceaccount:ns:robot');
  assert.equal(c.iss, DEFAULT_ISSUER);
  assert.deepEqual(c.aud, base.audiences);
  assert.deepEqual([c.iat, c.nbf, c.exp], [t, t, t + 3600]);
  assert.match(c.jti, /^[0-9a-f-]{36}$/);
  assert.notEqual(tokenClaims(base).jti, c.jti);
  assert.deepEqual(c['kubernetes.io'], {
    namespace: 'ns',
    serviceaccount: { name: 'robot', uid: 'sa-uid' },
    pod: { name: 'p', uid: 'pod-uid' },
    node: { name: 'n1', uid: 'node-uid' },
  });
  assert.deepEqual(tokenClaims({ ...base, secret: { name: 's', uid: 'u' } })['kubernetes.io'].secret, { name: 's', uid: 'u' });
  assert.equal(tokenClaims({ ...base, warnAfterSeconds: 3607 })['kubernetes.io'].warnafter, t + 3607);
});

test('checkClaims: issuer, audience, expiry and not-before (with 60 s leeway), subject and claim shape', () => {
  const c = tokenClaims(base) as unknown as Record<string, unknown>;
  const auds = base.audiences;
  assert.equal(checkClaims(c, DEFAULT_ISSUER, auds, base.now).sub, 'system:serviceaccount:ns:robot');
  assert.throws(() => checkClaims(c, 'https://other', auds, base.now), /issuer/);
  assert.throws(() => checkClaims(c, DEFAULT_ISSUER, ['vault'], base.now), /audiences/);
  // A token for vault is not accepted by the API server, but one for vault and the server is.
  assert.equal(checkClaims({ ...c, aud: ['vault', auds[0]] }, DEFAULT_ISSUER, auds, base.now).aud.length, 2);
  const exp = (c.exp as number) * 1000;
  assert.ok(checkClaims(c, DEFAULT_ISSUER, auds, exp + 59_000));
  assert.throws(() => checkClaims(c, DEFAULT_ISSUER, auds, exp + 61_000), /has expired/);
  assert.throws(() => checkClaims(c, DEFAULT_ISSUER, auds, base.now - 61_000), /not valid yet/);
  assert.throws(() => checkClaims({ ...c, sub: 'system:serviceaccount:ns:other' }, DEFAULT_ISSUER, auds, base.now), /subject/);
  assert.throws(() => checkClaims({ ...c, 'kubernetes.io': { namespace: 'ns' } }, DEFAULT_ISSUER, auds, base.now), /serviceaccount claim/);
  assert.throws(() => checkClaims({ ...c, exp: 'soon' }, DEFAULT_ISSUER, auds, base.now), /expired/);
});
