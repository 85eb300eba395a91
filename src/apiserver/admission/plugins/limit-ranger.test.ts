import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../api/object.js';
import { ApiError } from '../../errors.js';
import { attributes, fixedLookups } from '../test-helpers.js';
import { claimLimitErrors, limitRanger } from './limit-ranger.js';

const lr = (limits: unknown[], name = 'limits'): KObject => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name, namespace: 'team' }, spec: { limits } });
const pod = (containers: unknown[], initContainers?: unknown[]): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'team' },
  spec: { containers, ...(initContainers ? { initContainers } : {}) },
});
const run = async (p: KObject, ranges: KObject[]) => {
  const a = attributes('pods', { object: p, lookups: fixedLookups(ranges) });
  await limitRanger.admit!(a);
  await limitRanger.validate!(a);
  return p;
};
const refusedWith = (message: string) => (e: unknown) => e instanceof ApiError && e.code === 403 && e.message === message;

test('containers without resources get the defaults, and the annotation says which, as upstream', async () => {
  const range = lr([{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }]);
  const p = await run(
    pod([
      { name: 'app', image: 'x', resources: { limits: { memory: '1Gi' }, requests: { memory: '1Gi' } } },
      { name: 'side', image: 'x' },
    ]),
    [range],
  );
  const cs = (p.spec as { containers: Array<{ resources: unknown }> }).containers;
  assert.deepEqual(cs[0]!.resources, { limits: { memory: '1Gi', cpu: '500m' }, requests: { memory: '1Gi', cpu: '100m' } });
  assert.deepEqual(cs[1]!.resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  assert.equal(
    p.metadata.annotations!['kubernetes.io/limit-ranger'],
    'LimitRanger plugin set: cpu request for container app; cpu limit for container app; cpu, memory request for container side; cpu, memory limit for container side',
  );
});

test('a container over max, under min or over the ratio is refused with upstream messages', async () => {
  const range = lr([{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { memory: '2' } }]);
  const c = (resources: unknown) => ({ name: 'c', image: 'x', resources });
  await assert.rejects(
    run(pod([c({ limits: { cpu: '2', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } })]), [range]),
    refusedWith('pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2'),
  );
  await assert.rejects(
    run(pod([c({ limits: { cpu: '1', memory: '32Mi' }, requests: { cpu: '1', memory: '32Mi' } })]), [range]),
    refusedWith('pods "p" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi'),
  );
  await assert.rejects(
    run(pod([c({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '128Mi' } })]), [range]),
    refusedWith('pods "p" is forbidden: memory max limit to request ratio per Container is 2, but provided ratio is 8.000000'),
  );
  // max without a default limit: the LimitRange's own defaulting gives one (SetDefaults), here absent: no limit.
  await assert.rejects(
    run(pod([{ name: 'c', image: 'x' }]), [range]),
    refusedWith(
      'pods "p" is forbidden: [minimum memory usage per Container is 64Mi.  No request is specified, maximum cpu usage per Container is 1.  No limit is specified, memory max limit to request ratio per Container is 2, but no request is specified or request is 0]',
    ),
  );
  await run(pod([c({ limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '1', memory: '64Mi' } })]), [range]);
});

test('a Pod item bounds the sum of the containers (and the init containers at their peak)', async () => {
  const range = lr([{ type: 'Pod', max: { cpu: '1' } }]);
  const c = (name: string, cpu: string) => ({ name, image: 'x', resources: { limits: { cpu }, requests: { cpu } } });
  await assert.rejects(
    run(pod([c('a', '600m'), c('b', '600m')]), [range]),
    refusedWith('pods "p" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m'),
  );
  await run(pod([c('a', '500m'), c('b', '500m')], [c('init', '1')]), [range]);
  await assert.rejects(
    run(pod([c('a', '500m')], [c('init', '1500m')]), [range]),
    refusedWith('pods "p" is forbidden: maximum cpu usage per Pod is 1, but limit is 1500m'),
  );
});

test('claims: min and max of requested storage, and which requests LimitRanger looks at', () => {
  const range = lr([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } }]) as never;
  const claim = (storage: string) => ({ spec: { resources: { requests: { storage } } } });
  assert.deepEqual(claimLimitErrors(claim('20Gi'), range), ['maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi']);
  assert.deepEqual(claimLimitErrors(claim('500Mi'), range), ['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']);
  assert.deepEqual(claimLimitErrors(claim('5Gi'), range), []);
  const p = pod([]);
  assert.equal(limitRanger.handles(attributes('pods', { object: p })), true);
  assert.equal(limitRanger.handles(attributes('pods', { object: p, operation: 'UPDATE', oldObject: p })), false);
  assert.equal(limitRanger.handles(attributes('pods', { object: p, subresource: 'status' })), false);
  assert.equal(
    limitRanger.handles(attributes('configmaps', { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team' } } })),
    false,
  );
});

test('LimitRanges of other namespaces do not apply', async () => {
  const other = { ...lr([{ type: 'Container', max: { cpu: '1' } }]), metadata: { name: 'l', namespace: 'elsewhere' } };
  await run(pod([{ name: 'c', image: 'x' }]), [other]);
});
