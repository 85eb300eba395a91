import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Authenticator } from './authn.js';

/** A request as the TLS layer hands it over: whether the peer's certificate verified, and its subject. */
function req(o: { bearer?: string; cert?: { authorized: boolean; CN?: string; O?: string | string[] } }): IncomingMessage {
  const socket = o.cert ? { authorized: o.cert.authorized, getPeerCertificate: () => ({ subject: { CN: o.cert!.CN, O: o.cert!.O } }) } : { authorized: false };
  return { socket, headers: o.bearer ? { authorization: `Bearer ${o.bearer}` } : {} } as unknown as IncomingMessage;
}

const authn = new Authenticator({ adminToken: 'admin-token', bootstrapSecret: 'join-secret' });

test('a CA-verified client certificate is user CN in groups O and system:authenticated', () => {
  assert.deepEqual(authn.authenticate(req({ cert: { authorized: true, CN: 'system:node:n1', O: 'system:nodes' } })), {
    name: 'system:node:n1',
    groups: ['system:nodes', 'system:authenticated'],
  });
  assert.deepEqual(authn.authenticate(req({ cert: { authorized: true, CN: 'jane', O: ['dev', 'ops'] } })), {
    name: 'jane',
    groups: ['dev', 'ops', 'system:authenticated'],
  });
  // One the CA did not sign proves nothing; its holder's token still may.
  assert.equal(authn.authenticate(req({ cert: { authorized: false, CN: 'system:node:n1', O: 'system:nodes' } })), undefined);
  assert.equal(authn.authenticate(req({ cert: { authorized: false, CN: 'x' }, bearer: 'admin-token' }))?.name, 'system:admin');
});

test('bearer tokens: the admin token, the join secret as a bootstrap token, nothing else', () => {
  assert.deepEqual(authn.authenticate(req({ bearer: 'admin-token' })), { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
  assert.deepEqual(authn.authenticate(req({ bearer: 'join-secret' })), {
    name: 'system:bootstrap:server',
    groups: ['system:bootstrappers', 'system:authenticated'],
  });
  assert.equal(authn.authenticate(req({ bearer: 'join-secre' })), undefined);
  assert.equal(authn.authenticate(req({})), undefined);
  assert.equal(new Authenticator({ adminToken: 'admin-token' }).authenticate(req({ bearer: 'join-secret' })), undefined, 'no join secret configured');
});

test("a connection's certificate is read once: later requests on it reuse the identity, another connection reads its own", () => {
  let reads = 0;
  const socket = (CN: string) => ({ authorized: true, getPeerCertificate: () => (reads++, { subject: { CN, O: 'system:nodes' } }) });
  const onConnection = (s: object) => ({ socket: s, headers: {} }) as unknown as IncomingMessage;
  const a = socket('system:node:a');
  const b = socket('system:node:b');
  const fresh = new Authenticator({ adminToken: 'admin-token' });
  for (let i = 0; i < 5; i++) assert.equal(fresh.authenticate(onConnection(a))?.name, 'system:node:a');
  assert.equal(reads, 1);
  assert.equal(fresh.authenticate(onConnection(b))?.name, 'system:node:b');
  assert.equal(reads, 2);
  // A certificate without a CN identifies no one, and stays so without being read again.
  const noCn = socket('');
  assert.equal(fresh.authenticate(onConnection(noCn)), undefined);
  assert.equal(fresh.authenticate(onConnection(noCn)), undefined);
  assert.equal(reads, 3);
});
