import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/object.js';
import { fieldErrorMessage } from '../../api/field-errors.js';
import { defaultLimitRange } from './defaults.js';
import { limitRangeValidator } from './validation.js';

const lr = (limits: unknown[]): KObject => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'l', namespace: 'ns' }, spec: { limits } });
const messages = (o: KObject) => limitRangeValidator.create(o).map(fieldErrorMessage);

test('defaults as upstream: default limit from max, default request from the default limit, else from min', () => {
  const o = lr([
    { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m', 'ephemeral-storage': '1Gi' }, default: { memory: '512Mi' } },
    { type: 'Pod', max: { cpu: '4' } },
  ]);
  defaultLimitRange(o);
  const [c, p] = (o.spec as { limits: Array<Record<string, unknown>> }).limits;
  assert.deepEqual(c!.default, { memory: '512Mi', cpu: '2' });
  assert.deepEqual(c!.defaultRequest, { memory: '512Mi', cpu: '2', 'ephemeral-storage': '1Gi' });
  assert.equal(p!.default, undefined, 'only Container items get defaults');
  assert.equal(p!.defaultRequest, undefined);
});

test('a valid LimitRange passes; quantities that disagree get upstream messages', () => {
  assert.deepEqual(
    messages(lr([{ type: 'Container', min: { cpu: '100m' }, max: { cpu: '1' }, default: { cpu: '500m' }, defaultRequest: { cpu: '200m' } }])),
    [],
  );
  assert.deepEqual(messages(lr([{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }])), [
    'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
  ]);
  assert.deepEqual(messages(lr([{ type: 'Container', max: { memory: '1Gi' }, default: { memory: '2Gi' } }])), [
    'spec.limits[0].default[memory]: Invalid value: "1Gi": default value 2Gi is greater than max value 1Gi',
  ]);
  assert.deepEqual(messages(lr([{ type: 'Container', default: { cpu: '1' }, defaultRequest: { cpu: '2' } }])), [
    'spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than default limit value 1',
  ]);
  assert.deepEqual(messages(lr([{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }])), [
    'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
  ]);
  assert.deepEqual(messages(lr([{ type: 'Container', min: { cpu: '1' }, max: { cpu: '2' }, maxLimitRequestRatio: { cpu: '3' } }])), [
    'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "3": ratio 3 is greater than max/min = 2.000000',
  ]);
});

test('type rules: one item per type, no defaults for Pod, a storage bound for claims, known types only', () => {
  assert.deepEqual(
    messages(
      lr([
        { type: 'Pod', max: { cpu: '1' } },
        { type: 'Pod', max: { cpu: '2' } },
      ]),
    ),
    ['spec.limits[1].type: Duplicate value: "Pod"'],
  );
  assert.deepEqual(messages(lr([{ type: 'Pod', default: { cpu: '1' } }])), ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]);
  assert.deepEqual(messages(lr([{ type: 'PersistentVolumeClaim', max: { cpu: '1' } }])), [
    'spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
  ]);
  assert.deepEqual(messages(lr([{ type: 'Node' }])), [
    'spec.limits[0].type: Unsupported value: "Node": supported values: "Pod", "Container", "PersistentVolumeClaim"',
  ]);
});
