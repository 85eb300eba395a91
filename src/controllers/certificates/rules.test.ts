import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1';
import { ensurePki } from '../../apiserver/pki.js';
import { servingCsr } from '../../kubelet/serving-cert.js';
import { clientApproval, servingApproval, signRequest, type Csr } from './rules.js';
import { clientCsr } from '../../kubelet/client-cert.js';
import { NODE_PASSWORD_ANNOTATION } from '../../api/kubelet-identity.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-csr-'));
const pki = await ensurePki(dir, '127.0.0.1');
rmSync(dir, { recursive: true, force: true });
const ca = { cert: pki.caCert, key: pki.caKey };

const b64 = (s: string) => Buffer.from(s).toString('base64');
const node = (name: string, ip: string): Node => ({
  metadata: { name },
  status: {
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: `${name}.example` },
    ],
  },
});
async function servingRequest(nodeName: string, names: string[], extra: Partial<Csr['spec']> = {}): Promise<Csr> {
  const { csr } = await servingCsr(nodeName, names);
  return {
    metadata: { name: 'c' },
    spec: { request: b64(csr), signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'], ...extra },
  };
}
const nodes =
  (...ns: Node[]) =>
  (name: string) =>
    ns.find((n) => n.metadata?.name === name);

test('the approver approves a serving request naming only its own node name and addresses', async () => {
  const d = await servingApproval(await servingRequest('n1', ['n1', '10.0.0.1', 'n1.example']), nodes(node('n1', '10.0.0.1')));
  assert.equal(d.approve, true);
});

test("the approver leaves alone requests for names that are not the node's, for a missing node, or malformed", async () => {
  const n1 = nodes(node('n1', '10.0.0.1'), node('n2', '10.0.0.2'));
  const foreignIp = await servingApproval(await servingRequest('n1', ['n1', '10.0.0.2']), n1);
  assert.deepEqual(foreignIp, { approve: false, why: "names 10.0.0.2 are not node n1's name or addresses" });
  const foreignDns = await servingApproval(await servingRequest('n1', ['n1', 'kubernetes.default']), n1);
  assert.equal(foreignDns.approve, false);
  const missing = await servingApproval(await servingRequest('n9', ['n9']), n1);
  assert.deepEqual(missing, { approve: false, why: 'node n9 does not exist (yet)' });
  const clientUsage = await servingApproval(await servingRequest('n1', ['n1'], { usages: ['digital signature', 'client auth'] }), n1);
  assert.equal(clientUsage.approve, false);
  const otherSigner = await servingApproval(await servingRequest('n1', ['n1'], { signerName: 'kubernetes.io/kube-apiserver-client' }), n1);
  assert.equal(otherSigner.approve, false);
});

test("the signer issues an approved kubelet-serving request: CA-signed, the request's subject and names, serving usage, the requested duration", async () => {
  const csr = await servingRequest('n1', ['n1', '10.0.0.1'], { expirationSeconds: 3600 });
  csr.status = { conditions: [{ type: 'Approved', status: 'True' }] };
  const now = Date.now();
  const r = await signRequest(csr, ca, undefined, now);
  assert.ok(r && 'certificate' in r, JSON.stringify(r));
  const cert = new X509Certificate(Buffer.from(r.certificate, 'base64'));
  assert.ok(cert.verify(new X509Certificate(pki.caCert).publicKey), 'signed by the cluster CA');
  assert.match(cert.subject, /CN=system:node:n1/);
  assert.match(cert.subject, /O=system:nodes/);
  assert.equal(cert.subjectAltName, 'DNS:n1, IP Address:10.0.0.1');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth only');
  const life = Date.parse(cert.validTo) - now;
  assert.ok(life > 3500_000 && life <= 3600_000, `about an hour, got ${life} ms`);
});

test('the signer caps the duration, fails invalid requests, and ignores what is not its to sign', async () => {
  const approved = { conditions: [{ type: 'Approved', status: 'True' }] };
  const long = await servingRequest('n1', ['n1'], { expirationSeconds: 10 * 365 * 24 * 3600 });
  long.status = approved;
  const capped = await signRequest(long, ca, 24 * 3600_000);
  assert.ok(capped && 'certificate' in capped);
  assert.ok(Date.parse(new X509Certificate(Buffer.from(capped.certificate, 'base64')).validTo) - Date.now() <= 24 * 3600_000);

  const bad = await servingRequest('n1', ['n1'], { usages: ['digital signature', 'client auth'] });
  bad.status = approved;
  const failed = await signRequest(bad, ca);
  assert.ok(failed && 'failed' in failed && /usages did not match/.test(failed.failed));

  const pending = await servingRequest('n1', ['n1']);
  assert.equal(await signRequest(pending, ca), undefined, 'not approved');
  const denied = await servingRequest('n1', ['n1']);
  denied.status = { conditions: [{ type: 'Denied', status: 'True' }] };
  assert.equal(await signRequest(denied, ca), undefined, 'denied');
  const other = await servingRequest('n1', ['n1'], { signerName: 'example.com/mine' });
  other.status = approved;
  assert.equal(await signRequest(other, ca), undefined, 'another signer');
  const issued = await servingRequest('n1', ['n1']);
  issued.status = { ...approved, certificate: 'eA==' };
  assert.equal(await signRequest(issued, ca), undefined, 'already issued');
});

async function clientRequest(
  nodeName: string,
  spec: Partial<Csr['spec']>,
  annotations?: Record<string, string>,
): Promise<Csr & { metadata: { annotations?: Record<string, string> } }> {
  const { csr } = await clientCsr(nodeName);
  return {
    metadata: { name: 'c', annotations },
    spec: { request: b64(csr), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'], ...spec },
  };
}

test("client requests: a bootstrapper's is approved only for the machine proving the name; the node renews its own", async () => {
  const boot = { username: 'system:bootstrap:server', groups: ['system:bootstrappers', 'system:authenticated'] };
  const claimed = await clientApproval(await clientRequest('n1', boot, { [NODE_PASSWORD_ANNOTATION]: 'sha256:abc' }));
  assert.deepEqual(claimed, {
    approve: true,
    message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
    claim: { nodeName: 'n1', passwordHash: 'sha256:abc' },
  });
  const noPassword = await clientApproval(await clientRequest('n1', boot));
  assert.equal(noPassword.approve, false);
  const self = await clientApproval(await clientRequest('n1', { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] }));
  assert.deepEqual(self, { approve: true, message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' });
  // Another node may not renew n1's identity, and an ordinary user gets nothing.
  const otherNode = await clientApproval(
    await clientRequest('n1', { username: 'system:node:n2', groups: ['system:nodes', 'system:authenticated'] }, { [NODE_PASSWORD_ANNOTATION]: 'sha256:abc' }),
  );
  assert.deepEqual(otherNode, { approve: false, why: 'requestor system:node:n2 may not ask for node client certificates' });
  const serverAuth = await clientApproval(
    await clientRequest('n1', { ...boot, usages: ['digital signature', 'server auth'] }, { [NODE_PASSWORD_ANNOTATION]: 'sha256:abc' }),
  );
  assert.equal(serverAuth.approve, false);
  const serving = await clientApproval({ ...(await servingRequest('n1', ['n1'])), metadata: { annotations: {} } });
  assert.equal(serving.approve, false);
});
