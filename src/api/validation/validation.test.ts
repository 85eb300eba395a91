import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateMessage } from '../field-errors.js';
import { resources } from '../registry.js';
import type { KObject } from '../object.js';

// The validators and defaulters as served: from the registry, where a kind with a folder brings its own.
const validators = Object.fromEntries(resources.map((r) => [r.key, r.validator]));
const defaulters = Object.fromEntries(resources.map((r) => [r.key, r.defaulter]));

const pod = (spec: unknown, meta: Record<string, unknown> = {}): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...meta }, spec });

test('pod validation: upstream paths and messages, one cause per bad field', () => {
  const errs = validators.pods!.create(
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
  assert.deepEqual(validators.pods!.create(pod({ containers: [{ name: 'c', image: 'i' }] })), []);
  assert.deepEqual(validators.pods!.create(pod({ containers: [] })).map((e) => e.field), ['spec.containers']);
});

test('object metadata: names, labels, annotations', () => {
  const errs = validators.configmaps!.create({ metadata: { name: 'Bad_Name', namespace: 'default', labels: { '-x': 'y', ok: 'bad value' } } });
  assert.deepEqual(errs.map((e) => e.field), ['metadata.name', 'metadata.labels', 'metadata.labels']);
  assert.deepEqual(validators.namespaces!.create({ metadata: { name: 'a.b' } }).map((e) => e.field), ['metadata.name'], 'namespaces are DNS labels');
  const big = validators.configmaps!.create({ metadata: { name: 'x', namespace: 'd', annotations: { a: 'x'.repeat(300 * 1024) } } });
  assert.equal(big[0]?.type, 'FieldValueTooLong');
});

test('pod spec is immutable except images, deadline and added tolerations', () => {
  const old = pod({ containers: [{ name: 'c', image: 'a' }] });
  defaulters.pods!(old);
  const imageOnly = structuredClone(old);
  (imageOnly as any).spec.containers[0].image = 'b';
  assert.deepEqual(validators.pods!.update!(imageOnly, old), []);
  const other = structuredClone(old);
  (other as any).spec.containers[0].command = ['x'];
  assert.match(validators.pods!.update!(other, old)[0]!.detail ?? '', /pod updates may not change fields other than/);
});

test('deployment: selector must match the template, and is immutable', () => {
  const d = (sel: Record<string, string>, labels: Record<string, string>): KObject => {
    const o: KObject = { metadata: { name: 'd', namespace: 'n' }, spec: { selector: { matchLabels: sel }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    defaulters['deployments.apps']!(o);
    return o;
  };
  assert.deepEqual(validators['deployments.apps']!.create(d({ app: 'x' }, { app: 'x' })), []);
  const mismatch = validators['deployments.apps']!.create(d({ app: 'x' }, { app: 'y' }));
  assert.equal(mismatch[0]?.field, 'spec.template.metadata.labels');
  assert.match(mismatch[0]!.detail!, /`selector` does not match template `labels`/);
  const changed = validators['deployments.apps']!.update!(d({ app: 'y' }, { app: 'y' }), d({ app: 'x' }, { app: 'x' }));
  assert.deepEqual(changed.map((e) => `${e.field}: ${e.detail}`), ['spec.selector: field is immutable']);
});

test('pod defaults as a real cluster shows them', () => {
  const p = pod({ containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '1', memory: '1Gi' } } }, { name: 'd', image: 'nginx:1.25' }] });
  defaulters.pods!(p);
  const s = p.spec as any;
  assert.equal(s.containers[0].imagePullPolicy, 'Always');
  assert.equal(s.containers[1].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(s.containers[0].resources.requests, { cpu: '1', memory: '1Gi' });
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.tolerations.length, 2);
  assert.equal((p.status as any).qosClass, 'Burstable');
  assert.equal((p.status as any).phase, 'Pending');
});
