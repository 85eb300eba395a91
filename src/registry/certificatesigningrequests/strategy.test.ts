import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { prepareCsrUpdate, setRequestor } from './strategy.js';
import { NODE_PASSWORD_ANNOTATION, hashNodePassword } from '../../api/kubelet-identity.js';

const stored = (): KObject =>
  ({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'c1', labels: { a: '1' } },
    spec: { request: 'UkVR', signerName: 'kubernetes.io/kubelet-serving', usages: ['server auth'], username: 'system:admin' },
    status: { conditions: [{ type: 'Failed', status: 'True', reason: 'SignerValidationFailure', lastUpdateTime: 't0', lastTransitionTime: 't0' }] },
  }) as KObject;

test('the requestor is set by the server, whatever the client said', () => {
  const o = {
    metadata: { name: 'x' },
    spec: { username: 'mallory', groups: ['system:masters-of-nothing'], uid: 'u', extra: { a: ['b'] } },
  } as unknown as KObject;
  setRequestor(o);
  assert.deepEqual(o.spec, { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
});

test('the main resource changes only metadata', () => {
  const want = stored() as KObject & { spec: Record<string, unknown>; status: Record<string, unknown> };
  want.metadata.labels = { a: '2' };
  want.spec.signerName = 'example.com/other';
  want.status = { certificate: 'Q0VSVA==' };
  const next = prepareCsrUpdate(want, stored(), '') as typeof want;
  assert.deepEqual(next.metadata.labels, { a: '2' });
  assert.equal(next.spec.signerName, 'kubernetes.io/kubelet-serving');
  assert.deepEqual(next.status, stored().status);
});

test('approval changes only Approved and Denied; status keeps them and changes the rest', () => {
  const want = stored() as KObject & { status: { conditions: unknown[]; certificate?: string } };
  want.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove' }], certificate: 'Q0VSVA==' };
  const approved = prepareCsrUpdate(want, stored(), 'approval') as typeof want;
  const types = approved.status.conditions.map((c) => (c as { type: string }).type).sort();
  assert.deepEqual(types, ['Approved', 'Failed'], 'Failed kept, Approved added');
  assert.equal(approved.status.certificate, undefined, 'no certificate through approval');
  const a = approved.status.conditions.find((c) => (c as { type: string }).type === 'Approved') as Record<string, string>;
  assert.ok(a.lastUpdateTime && a.lastTransitionTime, 'timestamps filled in');

  const st = structuredClone(approved) as typeof want;
  st.status = { conditions: [], certificate: 'Q0VSVA==' };
  const issued = prepareCsrUpdate(st, approved, 'status') as typeof want;
  assert.equal(issued.status.certificate, 'Q0VSVA==');
  assert.deepEqual(
    issued.status.conditions.map((c) => (c as { type: string }).type),
    ['Approved'],
    'Approved survives a status write that drops it; Failed went with the status write',
  );
});

test('the requestor is the authenticated user; a node password is stored as its hash only', () => {
  const o = { metadata: { name: 'x', annotations: { [NODE_PASSWORD_ANNOTATION]: 'pw' } }, spec: {} } as unknown as KObject;
  setRequestor(o, { name: 'system:bootstrap:server', groups: ['system:bootstrappers', 'system:authenticated'] });
  assert.deepEqual((o as unknown as { spec: unknown }).spec, { username: 'system:bootstrap:server', groups: ['system:bootstrappers', 'system:authenticated'] });
  const stored = o.metadata.annotations![NODE_PASSWORD_ANNOTATION]!;
  assert.equal(stored, hashNodePassword('pw'));
  assert.match(stored, /^sha256:[0-9a-f]{64}$/);
  // A hash read off a request and sent as the password is hashed again: it proves nothing.
  const copy = { metadata: { name: 'y', annotations: { [NODE_PASSWORD_ANNOTATION]: stored } }, spec: {} } as unknown as KObject;
  setRequestor(copy);
  assert.notEqual(copy.metadata.annotations![NODE_PASSWORD_ANNOTATION], stored);
});
