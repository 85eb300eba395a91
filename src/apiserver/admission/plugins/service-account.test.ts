import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../api/object.js';
import { ApiError } from '../../errors.js';
import { attributes, fixedLookups } from '../test-helpers.js';
import { admitServiceAccount, serviceAccount, TOKEN_MOUNT_PATH } from './service-account.js';

const sa = (name: string, extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace: 'ns' },
  ...extra,
});
const lookups = (...accounts: KObject[]) => fixedLookups(accounts);
const pod = (spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec });
type AnySpec = { volumes?: any[]; containers: any[]; initContainers?: any[]; serviceAccountName?: string; serviceAccount?: string };

test('the default ServiceAccount and the kube-api-access volume, mounted read-only in every container and init container', () => {
  const p = pod({
    initContainers: [{ name: 'i', image: 'x' }],
    containers: [
      { name: 'a', image: 'x' },
      { name: 'b', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/data' }] },
    ],
    volumes: [{ name: 'data', emptyDir: {} }],
  });
  admitServiceAccount(p, lookups(sa('default')));
  const spec = p.spec as AnySpec;
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.serviceAccount, 'default');
  const v = spec.volumes!.find((x) => x.name.startsWith('kube-api-access-'));
  assert.match(v.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(v.projected, {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  });
  for (const c of [...spec.initContainers!, ...spec.containers]) {
    assert.deepEqual(c.volumeMounts.at(-1), { name: v.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }, c.name);
  }
  assert.equal(spec.containers[1].volumeMounts.length, 2);
});

test('automountServiceAccountToken: false on the pod or the ServiceAccount (the pod wins); own mounts at the path kept', () => {
  const off = pod({ serviceAccountName: 'robot', containers: [{ name: 'a', image: 'x' }] });
  admitServiceAccount(off, lookups(sa('robot', { automountServiceAccountToken: false })));
  assert.equal((off.spec as AnySpec).volumes, undefined);
  assert.equal((off.spec as AnySpec).containers[0].volumeMounts, undefined);
  const podSaysYes = pod({ serviceAccountName: 'robot', automountServiceAccountToken: true, containers: [{ name: 'a', image: 'x' }] });
  admitServiceAccount(podSaysYes, lookups(sa('robot', { automountServiceAccountToken: false })));
  assert.equal((podSaysYes.spec as AnySpec).volumes!.length, 1);
  const podSaysNo = pod({ automountServiceAccountToken: false, containers: [{ name: 'a', image: 'x' }] });
  admitServiceAccount(podSaysNo, lookups(sa('default')));
  assert.equal((podSaysNo.spec as AnySpec).volumes, undefined);
  const own = pod({
    containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }] }],
    volumes: [{ name: 'mine', emptyDir: {} }],
  });
  admitServiceAccount(own, lookups(sa('default')));
  assert.deepEqual((own.spec as AnySpec).volumes, [{ name: 'mine', emptyDir: {} }]);
});

test("the ServiceAccount's imagePullSecrets go to a pod that names none", () => {
  const robot = sa('robot', { imagePullSecrets: [{ name: 'registry' }] });
  const p = pod({ serviceAccountName: 'robot', containers: [{ name: 'a', image: 'x' }] });
  admitServiceAccount(p, lookups(robot));
  assert.deepEqual((p.spec as { imagePullSecrets?: unknown }).imagePullSecrets, [{ name: 'registry' }]);
  const own = pod({ serviceAccountName: 'robot', imagePullSecrets: [{ name: 'mine' }], containers: [{ name: 'a', image: 'x' }] });
  admitServiceAccount(own, lookups(robot));
  assert.deepEqual((own.spec as { imagePullSecrets?: unknown }).imagePullSecrets, [{ name: 'mine' }]);
});

test("a missing ServiceAccount is refused with upstream's message", () => {
  assert.throws(
    () => admitServiceAccount(pod({ serviceAccountName: 'ghost', containers: [{ name: 'a', image: 'x' }] }), lookups(sa('default'))),
    (e: ApiError) => e.code === 403 && e.message === 'pods "p" is forbidden: error looking up service account ns/ghost: serviceaccount "ghost" not found',
  );
});

test("the plugin handles pod creates, looks up the pod's ServiceAccount, and waits briefly for a new namespace's default one", async () => {
  const p = pod({ containers: [{ name: 'a', image: 'x' }] });
  assert.deepEqual(serviceAccount.lookupsFor!(attributes('pods', { object: p })), [['serviceaccounts', 'ns', 'default']]);
  assert.equal(serviceAccount.handles(attributes('pods', { object: p, subresource: 'status' })), false);
  assert.equal(serviceAccount.handles(attributes('pods', { object: p, operation: 'UPDATE', oldObject: p })), false);
  const objects: KObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } }];
  setTimeout(() => objects.push(sa('default')), 100);
  const started = Date.now();
  await serviceAccount.admit!(attributes('pods', { object: p, lookups: fixedLookups(objects) }));
  assert.ok(Date.now() - started >= 90);
  assert.equal((p.spec as AnySpec).volumes!.length, 1);
  // No such namespace: no waiting, upstream's refusal at once.
  const q = pod({ containers: [{ name: 'a', image: 'x' }] });
  await assert.rejects(
    Promise.resolve(serviceAccount.admit!(attributes('pods', { object: q, lookups: fixedLookups([]) }))),
    /serviceaccount "default" not found/,
  );
});
