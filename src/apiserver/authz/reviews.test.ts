import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { fieldErrorMessage } from '../../api/field-errors.js';
import { ApiError } from '../errors.js';
import { Authorizer } from './authorizer.js';
import { RbacAuthorizer } from './rbac.js';
import { answerReview, reviewValidators } from './reviews.js';

const G = 'rbac.authorization.k8s.io';
const rbac = new RbacAuthorizer({
  role: () => undefined,
  clusterRole: (n) =>
    n === 'view'
      ? ({
          apiVersion: `${G}/v1`,
          kind: 'ClusterRole',
          metadata: { name: 'view' },
          rules: [
            { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
            { nonResourceURLs: ['/api'], verbs: ['get'] },
          ],
        } as KObject)
      : undefined,
});
rbac.roleBindings.put('/rb/ns/v', {
  apiVersion: `${G}/v1`,
  kind: 'RoleBinding',
  metadata: { name: 'v', namespace: 'ns' },
  roleRef: { apiGroup: G, kind: 'ClusterRole', name: 'view' },
  subjects: [{ kind: 'User', apiGroup: G, name: 'u' }],
} as KObject);
const authorizer = new Authorizer(['RBAC'], rbac);
const u = { name: 'u', groups: ['system:authenticated'] };
const review = (kind: string, spec: unknown) =>
  ({ apiVersion: kind === 'SelfSubjectReview' ? 'authentication.k8s.io/v1' : 'authorization.k8s.io/v1', kind, metadata: {}, spec }) as KObject;
const status = (o: KObject) => (o as any).status;

test("access reviews: for the caller, for a named user, and in the URL's namespace", () => {
  const pods = { resourceAttributes: { namespace: 'ns', verb: 'get', resource: 'pods' } };
  assert.deepEqual(status(answerReview(review('SelfSubjectAccessReview', pods), u, undefined, authorizer)), { allowed: true });
  assert.deepEqual(
    status(
      answerReview(review('SelfSubjectAccessReview', { resourceAttributes: { namespace: 'other', verb: 'get', resource: 'pods' } }), u, undefined, authorizer),
    ),
    { allowed: false },
  );
  assert.equal(
    status(answerReview(review('SubjectAccessReview', { ...pods, user: 'u' }), { name: 'admin', groups: ['system:masters'] }, undefined, authorizer)).allowed,
    true,
  );
  assert.equal(status(answerReview(review('SubjectAccessReview', { ...pods, user: 'x' }), u, undefined, authorizer)).allowed, false);
  assert.equal(
    status(answerReview(review('LocalSubjectAccessReview', { resourceAttributes: { verb: 'get', resource: 'pods' }, user: 'u' }), u, 'ns', authorizer)).allowed,
    true,
  );
  assert.throws(
    () => answerReview(review('LocalSubjectAccessReview', { ...pods, user: 'u' }), u, 'elsewhere', authorizer),
    (e: ApiError) => e.code === 400 && e.message === 'spec.resourceAttributes.namespace must match namespace: elsewhere',
  );
});

test('rules review lists resource and URL rules apart; whoami echoes the caller', () => {
  assert.deepEqual(status(answerReview(review('SelfSubjectRulesReview', { namespace: 'ns' }), u, undefined, authorizer)), {
    resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
    nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/api'] }],
    incomplete: false,
  });
  assert.throws(() => answerReview(review('SelfSubjectRulesReview', {}), u, undefined, authorizer), /no namespace on request/);
  assert.deepEqual(status(answerReview(review('SelfSubjectReview', undefined), u, undefined, authorizer)), {
    userInfo: { username: 'u', groups: ['system:authenticated'] },
  });
});

test('validation: exactly one kind of attributes, a subject for SubjectAccessReview, no URLs in a local review', () => {
  const msgs = (kind: string, spec: unknown) => reviewValidators[kind]!.create(review(kind, spec)).map(fieldErrorMessage);
  assert.deepEqual(msgs('SelfSubjectAccessReview', {}), [
    'spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
  ]);
  assert.deepEqual(msgs('SelfSubjectAccessReview', { resourceAttributes: {}, nonResourceAttributes: { path: '/x' } }), [
    'spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:""}: cannot be specified in combination with resourceAttributes',
  ]);
  assert.deepEqual(msgs('SubjectAccessReview', { resourceAttributes: {} }), ['spec.user: Invalid value: "": at least one of user or group must be specified']);
  assert.deepEqual(msgs('LocalSubjectAccessReview', { nonResourceAttributes: { path: '/x' }, user: 'u' }), [
    'spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:""}: disallowed on this kind of request',
  ]);
});
