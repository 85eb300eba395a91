import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, issueCertificate, issueNodeServingCertificate, signPublicKey } from '../apiserver/pki.js';
import { signRequest, type Csr } from '../controllers/certificates/rules.js';
import type { RestClient } from '../client/index.js';
import { ServingCertManager, usableServingCert } from './serving-cert.js';
import type { ServingCert } from './endpoint-tls.js';

const root = mkdtempSync(join(tmpdir(), 'berth-servingcert-'));
const pki = await ensurePki(join(root, 'server'), '127.0.0.1');
const ca = { cert: pki.caCert, key: pki.caKey };
test.after(() => rmSync(root, { recursive: true, force: true }));

test('a certificate is usable when the CA signed it, it covers the names and is not in its last 20%', async () => {
  const c = await issueNodeServingCertificate(ca, 'n1', ['10.0.0.1']);
  assert.equal(await usableServingCert(c.cert, pki.caCert, ['n1', '10.0.0.1']), true);
  assert.equal(await usableServingCert(c.cert, pki.caCert, ['n1', '10.0.0.2']), false, 'a new address');
  const life = new X509Certificate(c.cert);
  const from = Date.parse(life.validFrom);
  const to = Date.parse(life.validTo);
  assert.equal(await usableServingCert(c.cert, pki.caCert, ['n1'], from + (to - from) * 0.79), true);
  assert.equal(await usableServingCert(c.cert, pki.caCert, ['n1'], from + (to - from) * 0.81), false, 'due for renewal');
  const other = await ensurePki(join(root, 'other'), '127.0.0.1');
  const foreign = await issueNodeServingCertificate({ cert: other.caCert, key: other.caKey }, 'n1', ['10.0.0.1']);
  assert.equal(await usableServingCert(foreign.cert, pki.caCert, ['n1']), false, 'another CA');
  assert.equal(await usableServingCert('not a certificate', pki.caCert, ['n1']), false);
});

/** The API as far as the manager uses it, with an approver and signer acting on every request. */
function fakeApi(opts: { deny?: boolean; watch?: boolean } = {}) {
  const csrs = new Map<string, Csr & { metadata: { name: string } }>();
  let n = 0;
  /** Open watches: their field selectors, and whom to tell of a change. */
  const watches: Array<{ fieldSelector?: string; onEvent: (e: unknown) => void; stopped: boolean }> = [];
  const client = {
    async create(_ref: unknown, obj: Csr) {
      const name = `csr-${++n}`;
      const stored = { ...structuredClone(obj), metadata: { name } };
      csrs.set(name, stored);
      // Approved (or denied) and issued a moment later, as the controllers would.
      setTimeout(async () => {
        stored.status = { conditions: [{ type: opts.deny ? 'Denied' : 'Approved', status: 'True' }] };
        const r = await signRequest(stored, ca);
        if (r && 'certificate' in r) stored.status.certificate = r.certificate;
        for (const w of watches) if (!w.stopped && w.fieldSelector === `metadata.name=${name}`) w.onEvent({ type: 'MODIFIED', object: stored });
      }, 20);
      return stored;
    },
    ...(opts.watch
      ? {
          watch(_ref: unknown, o: { fieldSelector?: string }, onEvent: (e: unknown) => void) {
            const w = { fieldSelector: o.fieldSelector, onEvent, stopped: false };
            watches.push(w);
            return { stop: () => (w.stopped = true) };
          },
        }
      : {}),
    async get(ref: { name: string }) {
      return structuredClone(csrs.get(ref.name));
    },
  } as unknown as RestClient;
  return { client, csrs, watches };
}

test('with no certificate the manager asks with a kubelet-serving CSR, keeps key and certificate, and serves them', async () => {
  const dir = join(root, 'agent1');
  const api = fakeApi();
  const served: ServingCert[] = [];
  const m = new ServingCertManager({
    client: api.client,
    nodeName: 'n1',
    names: ['n1', '10.0.0.1'],
    caCert: pki.caCert,
    dir,
    onCert: (c) => served.push(c),
    log: () => {},
    pollMs: 10,
  });
  await m.start();
  assert.equal(await m.waitForCert(5000), true);
  m.stop();
  assert.equal(served.length, 1);
  const [csr] = [...api.csrs.values()];
  assert.equal(csr!.spec?.signerName, 'kubernetes.io/kubelet-serving');
  assert.deepEqual(csr!.spec?.usages, ['digital signature', 'server auth']);
  assert.ok(!JSON.stringify(csr).includes('PRIVATE KEY'), 'the key never leaves the machine');
  const cert = new X509Certificate(served[0]!.cert);
  assert.match(cert.subject, /CN=system:node:n1/);
  assert.equal(cert.subjectAltName, 'DNS:n1, IP Address:10.0.0.1');
  assert.equal(readFileSync(join(dir, 'agent.crt'), 'utf8'), served[0]!.cert);
  assert.equal(statSync(join(dir, 'agent.key')).mode & 0o777, 0o600);

  // A restart reuses what is still good: no new request.
  const again: ServingCert[] = [];
  const m2 = new ServingCertManager({
    client: api.client,
    nodeName: 'n1',
    names: ['n1', '10.0.0.1'],
    caCert: pki.caCert,
    dir,
    onCert: (c) => again.push(c),
    log: () => {},
    pollMs: 10,
  });
  await m2.start();
  m2.stop();
  assert.equal(again[0]?.cert, served[0]!.cert);
  assert.equal(api.csrs.size, 1);
});

test('a self-signed certificate left from an older agent is replaced through a CSR', async () => {
  const dir = join(root, 'agent2');
  const old = await issueCertificate(ca, { commonName: 'x', usage: 'server' });
  const selfSigned = await ensurePki(join(root, 'selfsigned'), '127.0.0.1');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'agent.crt'), selfSigned.caCert);
  writeFileSync(join(dir, 'agent.key'), old.key);
  const api = fakeApi();
  const served: ServingCert[] = [];
  const m = new ServingCertManager({
    client: api.client,
    nodeName: 'n1',
    names: ['n1'],
    caCert: pki.caCert,
    dir,
    onCert: (c) => served.push(c),
    log: () => {},
    pollMs: 10,
  });
  await m.start();
  assert.equal(await m.waitForCert(5000), true);
  m.stop();
  assert.equal(api.csrs.size, 1);
  assert.notEqual(served[0]!.cert, selfSigned.caCert);
});

test('renewal: at start within the last 20% of its life, and later when the clock gets there', async () => {
  const dir = join(root, 'agent4');
  mkdirSync(dir, { recursive: true });
  // Valid an hour before now until five minutes ahead: in its last 20% already.
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const late = await signPublicKey(ca, keys.publicKey, {
    subject: 'CN=system:node:n1, O=system:nodes',
    names: [{ type: 'dns', value: 'n1' }],
    usage: 'server',
    notAfter: new Date(Date.now() + 300_000),
  });
  writeFileSync(join(dir, 'agent.crt'), late);
  writeFileSync(join(dir, 'agent.key'), 'unused');
  const api = fakeApi();
  const served: ServingCert[] = [];
  let clock = Date.now();
  const m = new ServingCertManager({
    client: api.client,
    nodeName: 'n1',
    names: ['n1'],
    caCert: pki.caCert,
    dir,
    onCert: (c) => served.push(c),
    log: () => {},
    pollMs: 10,
    checkMs: 20,
    now: () => clock,
  });
  await m.start();
  assert.equal(await m.waitForCert(5000), true);
  assert.equal(api.csrs.size, 1, 'the late certificate was not served: a new one was asked for');
  assert.notEqual(served[0]!.cert, late);
  // A year on, the hourly check (every 20 ms here) asks again and serves the new one.
  clock += 330 * 24 * 3600_000;
  const until = Date.now() + 5000;
  while (served.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  m.stop();
  // Every certificate the fake CA issues ends within a year of the real time, so on the moved
  // clock each new one is due at once too: more than one renewal may have happened by now.
  assert.ok(served.length >= 2, `served ${served.length}`);
  // Each served certificate came from a request of its own (one more may be in flight at the stop).
  assert.ok(api.csrs.size === served.length || api.csrs.size === served.length + 1, `${api.csrs.size} requests, ${served.length} served`);
  assert.equal(readFileSync(join(dir, 'agent.crt'), 'utf8'), served.at(-1)!.cert);
});

test('a denied request serves nothing and is asked again later', async () => {
  const dir = join(root, 'agent3');
  const api = fakeApi({ deny: true });
  const logs: string[] = [];
  const m = new ServingCertManager({
    client: api.client,
    nodeName: 'n1',
    names: ['n1'],
    caCert: pki.caCert,
    dir,
    onCert: () => assert.fail('no certificate for a denied request'),
    log: (l) => logs.push(l),
    pollMs: 10,
  });
  await m.start();
  assert.equal(await m.waitForCert(300), false);
  m.stop();
  assert.ok(
    logs.some((l) => /csr-1 denied.*asking again in 5 s/.test(l)),
    logs.join('\n'),
  );
  assert.equal(existsSync(join(dir, 'agent.crt')), false);
});

test('the issued certificate is picked up as the watch on its request says so, not a poll interval later', async () => {
  const api = fakeApi({ watch: true });
  const m = new ServingCertManager({
    client: api.client,
    nodeName: 'n1',
    names: ['n1', '10.0.0.1'],
    caCert: pki.caCert,
    dir: join(root, 'agent-watch'),
    onCert: () => {},
    log: () => {},
    // A poll this slow never answers within the wait below: only the watch can.
    pollMs: 60_000,
  });
  const t0 = Date.now();
  await m.start();
  assert.equal(await m.waitForCert(3000), true);
  m.stop();
  assert.ok(Date.now() - t0 < 3000);
  assert.equal(api.watches[0]!.fieldSelector, 'metadata.name=csr-1');
  assert.ok(
    api.watches.every((w) => w.stopped),
    'every watch ended once the certificate was in',
  );
});
