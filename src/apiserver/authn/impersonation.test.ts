import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors.js';
import type { Attributes } from '../authz/attributes.js';
import { impersonatedUser } from './impersonation.js';

const req = (headers: Array<[string, string]>) => {
  const h: Record<string, string> = {};
  for (const [k, v] of headers) h[k.toLowerCase()] = v;
  return { rawHeaders: headers.flat(), headers: h } as unknown as IncomingMessage;
};
const real = { name: 'alice', groups: ['dev', 'system:authenticated'] };

test('no headers: the real user; a user, groups and extra: each checked with the impersonate verb', () => {
  const asked: string[] = [];
  const check = (a: Attributes) => void asked.push(`${a.verb} ${a.apiGroup}/${a.resource}${a.subresource ? '/' + a.subresource : ''} ${a.namespace}/${a.name}`);
  assert.equal(impersonatedUser(req([]), real, check), real);
  const u = impersonatedUser(
    req([
      ['Impersonate-User', 'bob'],
      ['Impersonate-Group', 'g1'],
      ['Impersonate-Group', 'g2'],
      ['Impersonate-Extra-Scopes', 'view'],
    ]),
    real,
    check,
  );
  assert.deepEqual(u, { name: 'bob', groups: ['g1', 'g2', 'system:authenticated'], extra: { scopes: ['view'] } });
  assert.deepEqual(asked, [
    'impersonate /users /bob',
    'impersonate /groups /g1',
    'impersonate /groups /g2',
    'impersonate authentication.k8s.io/userextras/scopes /view',
  ]);
});

test('a ServiceAccount is impersonated through serviceaccounts in its namespace and gets its groups', () => {
  const asked: Attributes[] = [];
  const u = impersonatedUser(req([['Impersonate-User', 'system:serviceaccount:ns:robot']]), real, (a) => void asked.push(a));
  assert.deepEqual([asked[0]!.resource, asked[0]!.namespace, asked[0]!.name], ['serviceaccounts', 'ns', 'robot']);
  assert.deepEqual(u.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns', 'system:authenticated']);
});

test('impersonating system:anonymous gives system:unauthenticated; refusals and groups without a user are 4xx', () => {
  assert.deepEqual(impersonatedUser(req([['Impersonate-User', 'system:anonymous']]), real, () => {}).groups, ['system:unauthenticated']);
  const refuse = () => {
    throw new ApiError(403, 'Forbidden', 'no');
  };
  assert.throws(
    () => impersonatedUser(req([['Impersonate-User', 'bob']]), real, refuse),
    (e: ApiError) => e.code === 403,
  );
  assert.throws(
    () => impersonatedUser(req([['Impersonate-Group', 'g']]), real, () => {}),
    (e: ApiError) => e.code === 400,
  );
});
