import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourcePath, resources } from './paths.js';
import { StatusError, isAlreadyExists, isConflict, isExpired, isNotFound } from './errors.js';
import { microTime, parseTime, rfc3339 } from './time.js';

test('resourcePath: core and named groups, namespaced and cluster-scoped, subresources', () => {
  assert.equal(resourcePath({ version: 'v1', resource: 'pods' }), '/api/v1/pods');
  assert.equal(resourcePath({ ...resources.pods, namespace: 'ns' }), '/api/v1/namespaces/ns/pods');
  assert.equal(resourcePath({ ...resources.pods, namespace: 'ns', name: 'p', subresource: 'status' }), '/api/v1/namespaces/ns/pods/p/status');
  assert.equal(resourcePath({ ...resources.nodes, name: 'n1' }), '/api/v1/nodes/n1');
  assert.equal(
    resourcePath({ ...resources.leases, namespace: 'kube-system', name: 'kube-scheduler' }),
    '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler',
  );
  assert.equal(
    resourcePath({ ...resources.deployments, namespace: 'd', name: 'web', subresource: 'scale' }),
    '/apis/apps/v1/namespaces/d/deployments/web/scale',
  );
  assert.equal(resourcePath({ ...resources.events, namespace: 'd', name: 'a b' }), '/api/v1/namespaces/d/events/a%20b');
  assert.throws(() => resourcePath({ ...resources.pods, subresource: 'status' }), /needs a name/);
  assert.throws(() => resourcePath({ ...resources.pods, name: '' }), /empty name/);
});

test('StatusError: from a Status body, from a bare code, and the reason helpers', () => {
  const nf = StatusError.fromResponse(
    404,
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', code: 404 }),
  );
  assert.equal(nf.code, 404);
  assert.equal(nf.reason, 'NotFound');
  assert.equal(nf.message, 'pods "x" not found');
  assert.equal(nf.status.message, 'pods "x" not found');
  assert.ok(isNotFound(nf) && !isConflict(nf));

  const conflict = new StatusError({ code: 409, reason: 'Conflict', message: 'modified' });
  const exists = new StatusError({ code: 409, reason: 'AlreadyExists', message: 'exists' });
  assert.ok(isConflict(conflict) && !isAlreadyExists(conflict));
  assert.ok(isAlreadyExists(exists) && !isConflict(exists));

  const bare = StatusError.fromResponse(410, '');
  assert.equal(bare.reason, 'Expired');
  assert.ok(isExpired(bare));
  assert.match(bare.message, /status code 410 but did not return more information/);
  const html = StatusError.fromResponse(502, '<html>bad gateway</html>');
  assert.equal(html.reason, 'Unknown');
  assert.match(html.message, /502: <html>bad gateway/);
  assert.ok(!isNotFound(new Error('x')));
});

test('time: Time has seconds, MicroTime six fractional digits', () => {
  const d = new Date('2024-05-01T10:20:30.123Z');
  assert.equal(rfc3339(d), '2024-05-01T10:20:30Z');
  assert.equal(microTime(d), '2024-05-01T10:20:30.123000Z');
  assert.equal(parseTime('2024-05-01T10:20:30.123000Z')?.getTime(), d.getTime());
  assert.equal(parseTime(undefined), undefined);
  assert.equal(parseTime('garbage'), undefined);
});
