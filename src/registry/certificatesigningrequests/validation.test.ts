import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { servingCsr } from '../../kubelet/serving-cert.js';
import { certificatesigningrequests as v } from './validation.js';

const request = Buffer.from((await servingCsr('n1', ['n1', '10.0.0.1'])).csr).toString('base64');
const csr = (spec: Record<string, unknown>, status?: Record<string, unknown>): KObject =>
  ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'c1' },
    spec: { request, signerName: 'kubernetes.io/kubelet-serving', usages: ['digital signature', 'server auth'], ...spec },
    status,
  }) as KObject;
const fields = (errs: Array<{ field: string; type: string }>) => errs.map((e) => `${e.type} ${e.field}`);

test('a well-formed request passes', () => {
  assert.deepEqual(v.create(csr({})), []);
  assert.deepEqual(v.create(csr({ expirationSeconds: 600 })), []);
});

test('spec: request, usages, signer name and duration as upstream checks them', () => {
  assert.deepEqual(fields(v.create(csr({ request: undefined }))), ['FieldValueRequired spec.request']);
  assert.deepEqual(fields(v.create(csr({ request: Buffer.from('junk').toString('base64') }))), ['FieldValueInvalid spec.request']);
  assert.deepEqual(fields(v.create(csr({ usages: [] }))), ['FieldValueRequired spec.usages']);
  assert.deepEqual(fields(v.create(csr({ usages: ['server auth', 'flying'] }))), ['FieldValueNotSupported spec.usages[1]']);
  assert.deepEqual(fields(v.create(csr({ usages: ['server auth', 'server auth'] }))), ['FieldValueDuplicate spec.usages[1]']);
  assert.deepEqual(fields(v.create(csr({ signerName: undefined }))), ['FieldValueRequired spec.signerName']);
  assert.deepEqual(fields(v.create(csr({ signerName: 'no-slash' }))), ['FieldValueInvalid spec.signerName']);
  assert.deepEqual(fields(v.create(csr({ signerName: 'Bad_Domain/x' }))), ['FieldValueInvalid spec.signerName']);
  assert.deepEqual(fields(v.create(csr({ signerName: 'kubernetes.io/legacy-unknown' }))), ['FieldValueInvalid spec.signerName']);
  const short = v.create(csr({ expirationSeconds: 599 }));
  assert.deepEqual(fields(short), ['FieldValueInvalid spec.expirationSeconds']);
  assert.match(String((short[0] as { detail?: string }).detail), /less than 600 seconds/);
});

test('approval and status: never Approved and Denied together, never removed, the certificate only when approved and set once', () => {
  const old = csr({}, { conditions: [{ type: 'Approved', status: 'True' }] });
  const up = (status: Record<string, unknown>, prev: KObject = csr({})) => fields(v.updateStatus!(csr({}, status), prev));
  assert.deepEqual(up({ conditions: [{ type: 'Approved', status: 'True' }] }), []);
  assert.deepEqual(
    up({
      conditions: [
        { type: 'Approved', status: 'True' },
        { type: 'Denied', status: 'True' },
      ],
    }),
    ['FieldValueInvalid status.conditions'],
  );
  assert.deepEqual(up({ conditions: [{ type: 'Approved', status: 'False' }] }), ['FieldValueNotSupported status.conditions[0].status']);
  assert.deepEqual(up({ conditions: [{ type: 'Approved' }, { type: 'Approved' }] }), ['FieldValueDuplicate status.conditions[1].type']);
  assert.deepEqual(up({ conditions: [] }, old), ['FieldValueForbidden status.conditions']);
  const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
  assert.deepEqual(up({ certificate: pem }), ['FieldValueForbidden status.certificate']);
  assert.deepEqual(up({ conditions: [{ type: 'Approved', status: 'True' }], certificate: pem }, old), []);
  assert.deepEqual(up({ conditions: [{ type: 'Approved', status: 'True' }], certificate: Buffer.from('nope').toString('base64') }, old), [
    'FieldValueInvalid status.certificate',
  ]);
  const issued = csr({}, { conditions: [{ type: 'Approved', status: 'True' }], certificate: pem });
  assert.deepEqual(
    up(
      {
        conditions: [{ type: 'Approved', status: 'True' }],
        certificate: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n').toString('base64'),
      },
      issued,
    ),
    ['FieldValueForbidden status.certificate'],
  );
});
