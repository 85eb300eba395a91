import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../apiserver/pki.js';
import { Authenticator } from '../apiserver/authn.js';
import { controllerIdentity, KUBE_SCHEDULER } from '../api/component-identities.js';
import { ComponentClients } from './component-clients.js';

const root = mkdtempSync(join(tmpdir(), 'berth-components-'));
const pki = await ensurePki(root, '127.0.0.1');
test.after(() => rmSync(root, { recursive: true, force: true }));

/** A TLS server as the API server's: the cluster CA's client certificates, who the caller is by the real authenticator. */
async function whoamiServer(): Promise<{ url: string; close(): void }> {
  const authn = new Authenticator({ adminToken: pki.adminToken });
  const server = createServer({ cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const user = authn.authenticate(req);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ user: user ?? null, authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

test('each component authenticates by a CA-signed certificate of its own identity, never a token', async () => {
  const srv = await whoamiServer();
  // A connection carrying the admin token: the factory must drop it.
  const clients = new ComponentClients({
    connection: { server: srv.url, ca: pki.caCert, token: pki.adminToken },
    signer: { cert: pki.caCert, key: pki.caKey },
  });
  try {
    const job = await clients.clientFor(controllerIdentity('job'), 'test/job');
    const sched = await clients.clientFor(KUBE_SCHEDULER, 'test/scheduler');
    assert.equal(job.options.token, undefined);
    assert.equal(sched.options.token, undefined);

    assert.deepEqual(await job.request('GET', '/'), {
      user: {
        name: 'system:serviceaccount:kube-system:job-controller',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      authorization: null,
    });
    assert.deepEqual(await sched.request('GET', '/'), { user: { name: 'system:kube-scheduler', groups: ['system:authenticated'] }, authorization: null });

    const cert = new X509Certificate(job.credentials.cert!);
    assert.ok(cert.checkIssued(new X509Certificate(pki.caCert)), 'signed by the cluster CA');
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    assert.ok(days > 360 && days < 366, `a year's life, got ${days} days`);

    // One client per identity: the node lifecycle and IPAM controllers share node-controller's.
    assert.equal(await clients.clientFor(controllerIdentity('nodeipam'), 'a'), await clients.clientFor(controllerIdentity('nodelifecycle'), 'b'));
    assert.deepEqual(clients.users().sort(), [
      'system:kube-scheduler',
      'system:serviceaccount:kube-system:job-controller',
      'system:serviceaccount:kube-system:node-controller',
    ]);
  } finally {
    await clients.close();
    srv.close();
  }
});
