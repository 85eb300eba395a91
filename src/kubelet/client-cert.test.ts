import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, issueCertificate } from '../apiserver/pki.js';
import { signRequest, type Csr } from '../controllers/certificates/rules.js';
import type { RestClient } from '../client/index.js';
import { NODE_PASSWORD_ANNOTATION } from '../api/kubelet-identity.js';
import { ClientCertManager, usableClientCert } from './client-cert.js';
import type { CertAndKey } from './cert-manager.js';

const root = mkdtempSync(join(tmpdir(), 'berth-clientcert-'));
const pki = await ensurePki(join(root, 'server'), '127.0.0.1');
const ca = { cert: pki.caCert, key: pki.caKey };
test.after(() => rmSync(root, { recursive: true, force: true }));

const DAY = 24 * 3600_000;

/** The CSR API as the manager uses it; every request approved and signed for a day (a short life). */
function fakeApi() {
  const csrs: Array<Csr & { metadata: { name: string; annotations?: Record<string, string> } }> = [];
  const client = {
    async create(_ref: unknown, obj: Csr & { metadata: { annotations?: Record<string, string> } }) {
      const stored = { ...structuredClone(obj), metadata: { ...obj.metadata, name: `csr-${csrs.length + 1}` } };
      csrs.push(stored);
      stored.status = { conditions: [{ type: 'Approved', status: 'True' }] };
      const r = await signRequest(stored, ca, DAY);
      if (r && 'certificate' in r) stored.status.certificate = r.certificate;
      return stored;
    },
    async get(ref: { name: string }) {
      return structuredClone(csrs.find((c) => c.metadata.name === ref.name));
    },
  } as unknown as RestClient;
  return { client, csrs };
}

test('a client certificate is usable for its own node under the CA until 80% of its life', async () => {
  const c = await issueCertificate(ca, { commonName: 'system:node:n1', organization: 'system:nodes', usage: 'client', notAfter: new Date(Date.now() + DAY) });
  assert.equal(await usableClientCert(c.cert, pki.caCert, 'n1'), true);
  assert.equal(await usableClientCert(c.cert, pki.caCert, 'n2'), false, "another node's");
  const x = new X509Certificate(c.cert);
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  assert.equal(await usableClientCert(c.cert, pki.caCert, 'n1', from + (to - from) * 0.79), true);
  assert.equal(await usableClientCert(c.cert, pki.caCert, 'n1', from + (to - from) * 0.81), false);
  const admin = await issueCertificate(ca, { commonName: 'system:node:n1', organization: 'system:masters', usage: 'client' });
  assert.equal(await usableClientCert(admin.cert, pki.caCert, 'n1'), false, 'not in system:nodes');
});

test('renewal of a short-lived client certificate at 80% of its life: a new kube-apiserver-client-kubelet CSR, kept 0600 and handed over', async () => {
  const dir = join(root, 'pki1');
  const api = fakeApi();
  const got: CertAndKey[] = [];
  let clock = Date.now();
  // Each certificate handed over turns the clock back to now: one renewal, not one per check.
  const onCert = (c: CertAndKey) => {
    got.push(c);
    clock = Date.now();
  };
  const o = {
    client: api.client,
    nodeName: 'n1',
    caCert: pki.caCert,
    dir,
    nodePassword: 'pw',
    onCert,
    log: () => {},
    pollMs: 10,
    checkMs: 20,
    now: () => clock,
  };
  // The bootstrap: one request, waited on.
  const first = await new ClientCertManager(o).obtain();
  assert.ok(first);
  assert.equal(api.csrs.length, 1);
  const req = api.csrs[0]!;
  assert.equal(req.spec?.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');
  assert.deepEqual(req.spec?.usages, ['digital signature', 'client auth']);
  assert.equal(req.metadata.annotations?.[NODE_PASSWORD_ANNOTATION], 'pw');
  const x = new X509Certificate(first.cert);
  assert.equal(x.subject, 'CN=system:node:n1\nO=system:nodes');
  for (const f of ['kubelet-client.crt', 'kubelet-client.key']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);

  // The renewing manager starts from the kept certificate and asks nothing while it is young.
  const renewing = new ClientCertManager(o);
  await renewing.start();
  assert.equal(got.at(-1)!.cert, first.cert);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(api.csrs.length, 1, 'no renewal before 80% of its life');

  // The clock past 80% of its life (it began an hour back-dated and lasts a day and an hour).
  const from = Date.parse(x.validFrom);
  const to = Date.parse(x.validTo);
  clock = from + (to - from) * 0.81;
  const until = Date.now() + 5000;
  while (got.at(-1)!.cert === first.cert && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  renewing.stop();
  assert.equal(api.csrs.length, 2, 'one renewal request');
  const renewed = got.at(-1)!;
  assert.notEqual(renewed.cert, first.cert);
  assert.notEqual(renewed.key, first.key, 'a new key');
  assert.equal(readFileSync(join(dir, 'kubelet-client.crt'), 'utf8'), renewed.cert);
  assert.equal(readFileSync(join(dir, 'kubelet-client.key'), 'utf8'), renewed.key);
});
