import { test } from 'node:test';
import assert from 'node:assert/strict';
import { servingCsr } from '../kubelet/serving-cert.js';
import { csrCondition, kubeletClientProblems, kubeletServingProblems, parseRequest } from './csr.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('parseRequest reads subject and SANs of a PKCS#10 request and checks its signature', async () => {
  const { csr } = await servingCsr('node-a', ['node-a', '10.1.2.3']);
  const req = parseRequest(b64(csr));
  assert.equal(req.commonName, 'system:node:node-a');
  assert.deepEqual(req.organizations, ['system:nodes']);
  assert.deepEqual(req.dnsNames, ['node-a']);
  assert.deepEqual(req.ipAddresses, ['10.1.2.3']);
  assert.equal(await req.verify(), true);
  // One byte of the signed content changed: the signature no longer holds (or it no longer parses).
  const der = Buffer.from(csr.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  der[40] ^= 0x01;
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  let verified: boolean;
  try {
    verified = await parseRequest(b64(tampered)).verify();
  } catch {
    verified = false;
  }
  assert.equal(verified, false);
});

test('parseRequest refuses what is not a certificate request', () => {
  assert.throws(() => parseRequest(b64('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')), /PEM block type must be CERTIFICATE REQUEST/);
  assert.throws(() => parseRequest(b64('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n')), /cannot parse/);
});

test('kubelet serving requests: subject system:node:NAME in system:nodes, DNS/IP SANs, serving usages', async () => {
  const good = parseRequest(b64((await servingCsr('n1', ['n1', '10.0.0.1'])).csr));
  assert.deepEqual(kubeletServingProblems(good, ['digital signature', 'server auth']), []);
  assert.deepEqual(kubeletServingProblems(good, ['key encipherment', 'digital signature', 'server auth']), []);
  assert.match(kubeletServingProblems(good, ['digital signature', 'client auth']).join(), /usages did not match/);
  assert.match(
    kubeletServingProblems({ ...good, organizations: ['system:masters'] }, ['digital signature', 'server auth']).join(),
    /organization is not system:nodes/,
  );
  assert.match(kubeletServingProblems({ ...good, commonName: 'admin' }, ['digital signature', 'server auth']).join(), /does not begin with system:node:/);
  assert.match(
    kubeletServingProblems({ ...good, dnsNames: [], ipAddresses: [] }, ['digital signature', 'server auth']).join(),
    /DNS or IP subjectAltName is required/,
  );
  assert.match(kubeletServingProblems({ ...good, emailAddresses: ['a@b.c'] }, ['digital signature', 'server auth']).join(), /email and URI/);
  // A client request carries no SANs at all.
  assert.match(kubeletClientProblems(good, ['digital signature', 'client auth']).join(), /subjectAltNames are not allowed/);
  assert.deepEqual(kubeletClientProblems({ ...good, dnsNames: [], ipAddresses: [] }, ['digital signature', 'client auth']), []);
});

test('the CONDITION column, in upstream precedence', () => {
  assert.equal(csrCondition(undefined), 'Pending');
  assert.equal(csrCondition({ conditions: [{ type: 'Approved', status: 'True' }] }), 'Approved');
  assert.equal(csrCondition({ conditions: [{ type: 'Approved', status: 'True' }], certificate: 'x' }), 'Approved,Issued');
  assert.equal(csrCondition({ conditions: [{ type: 'Approved' }, { type: 'Failed' }] }), 'Approved,Failed');
  assert.equal(csrCondition({ conditions: [{ type: 'Denied' }] }), 'Denied');
});
