import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { defaultDeployment } from './defaults.js';
import { deploymentValidator } from './validation.js';

const deployment = (sel: Record<string, string>, labels: Record<string, string>, spec: Record<string, unknown> = {}): KObject => {
  const o: KObject = {
    metadata: { name: 'd', namespace: 'n' },
    spec: { selector: { matchLabels: sel }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i' }] } }, ...spec },
  };
  defaultDeployment(o);
  return o;
};

test('deployment: selector must match the template, and is immutable', () => {
  assert.deepEqual(deploymentValidator.create(deployment({ app: 'x' }, { app: 'x' })), []);
  const mismatch = deploymentValidator.create(deployment({ app: 'x' }, { app: 'y' }));
  assert.equal(mismatch[0]?.field, 'spec.template.metadata.labels');
  assert.match(mismatch[0]!.detail!, /`selector` does not match template `labels`/);
  const changed = deploymentValidator.update!(deployment({ app: 'y' }, { app: 'y' }), deployment({ app: 'x' }, { app: 'x' }));
  assert.deepEqual(
    changed.map((e) => `${e.field}: ${e.detail}`),
    ['spec.selector: field is immutable'],
  );
});

test('deployment: the rolling update may not have both maxSurge and maxUnavailable at 0, and percentages stop at 100%', () => {
  const zero = deploymentValidator.create(deployment({ app: 'x' }, { app: 'x' }, { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } } }));
  assert.deepEqual(
    zero.map((e) => `${e.field}: ${e.detail}`),
    ['spec.strategy.rollingUpdate.maxUnavailable: may not be 0 when `maxSurge` is 0'],
  );
  const over = deploymentValidator.create(deployment({ app: 'x' }, { app: 'x' }, { strategy: { rollingUpdate: { maxSurge: '150%', maxUnavailable: 'abc' } } }));
  assert.deepEqual(
    over.map((e) => e.field),
    ['spec.strategy.rollingUpdate.maxSurge', 'spec.strategy.rollingUpdate.maxUnavailable'],
  );
  assert.match(over[0]!.detail!, /must not be greater than 100%/);
});

test('deployment defaults: a 25% rolling update, ten old ReplicaSets, a 600 s deadline; Recreate gets no rollingUpdate', () => {
  const d = deployment({ app: 'x' }, { app: 'x' }) as any;
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.replicas, 1);
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'Always', 'the template is defaulted as a pod: an untagged image is pulled always');
  const recreate = deployment({ app: 'x' }, { app: 'x' }, { strategy: { type: 'Recreate' } }) as any;
  assert.deepEqual(recreate.spec.strategy, { type: 'Recreate' });
  assert.deepEqual(deploymentValidator.create(recreate), []);
});
