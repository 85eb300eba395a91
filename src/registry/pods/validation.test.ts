import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateMessage } from '../../api/field-errors.js';
import type { KObject } from '../../api/object.js';
import { defaultPod } from '../../api/defaults/pod.js';
import { podValidator } from './validation.js';

const pod = (spec: unknown, meta: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', ...meta },
  spec,
});

test('pod validation: upstream paths and messages, one cause per bad field', () => {
  const errs = podValidator.create(
    pod({
      containers: [
        { name: 'c', ports: [{ containerPort: 0 }], resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } },
        { name: 'c', image: 'x', volumeMounts: [{ name: 'nope', mountPath: '/x' }] },
      ],
      restartPolicy: 'Sometimes',
    }),
  );
  const fields = errs.map((e) => e.field);
  assert.deepEqual(fields.sort(), [
    'spec.containers[0].image',
    'spec.containers[0].ports[0].containerPort',
    'spec.containers[0].resources.requests[cpu]',
    'spec.containers[1].name',
    'spec.containers[1].volumeMounts[0].name',
    'spec.restartPolicy',
  ]);
  assert.match(aggregateMessage(errs), /spec\.containers\[0\]\.image: Required value/);
  assert.match(aggregateMessage(errs), /spec\.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"/);
  assert.match(aggregateMessage(errs), /spec\.containers\[1\]\.name: Duplicate value: "c"/);
  assert.deepEqual(podValidator.create(pod({ containers: [{ name: 'c', image: 'i' }] })), []);
  assert.deepEqual(
    podValidator.create(pod({ containers: [] })).map((e) => e.field),
    ['spec.containers'],
  );
});

test('pod spec is immutable except images, deadline and added tolerations', () => {
  const old = pod({ containers: [{ name: 'c', image: 'a' }] });
  defaultPod(old);
  const imageOnly = structuredClone(old);
  (imageOnly as any).spec.containers[0].image = 'b';
  assert.deepEqual(podValidator.update!(imageOnly, old), []);
  const other = structuredClone(old);
  (other as any).spec.containers[0].command = ['x'];
  assert.match(podValidator.update!(other, old)[0]!.detail ?? '', /pod updates may not change fields other than/);
});

test("pod defaults as a real cluster shows them (the default tolerations are admission's)", () => {
  const p = pod({
    containers: [
      { name: 'c', image: 'busybox', resources: { limits: { cpu: '1', memory: '1Gi' } } },
      { name: 'd', image: 'nginx:1.25' },
    ],
  });
  defaultPod(p);
  const s = p.spec as any;
  assert.equal(s.containers[0].imagePullPolicy, 'Always');
  assert.equal(s.containers[1].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(s.containers[0].resources.requests, { cpu: '1', memory: '1Gi' });
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.tolerations, undefined);
  assert.equal((p.status as any).qosClass, 'Burstable');
  assert.equal((p.status as any).phase, 'Pending');
});
