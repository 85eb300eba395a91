import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../registry/index.js';
import { subresourceRest } from './index.js';

test('every subresource the registry lists is served here, or streamed from the node (log, exec)', () => {
  const streamed = new Set(['log', 'exec']);
  for (const r of resources) {
    for (const s of r.subresources) {
      if (streamed.has(s.name)) assert.equal(subresourceRest(s.name), undefined, `${r.key}/${s.name}`);
      else assert.ok(subresourceRest(s.name), `${r.key}/${s.name} has no module`);
    }
  }
  assert.equal(subresourceRest(''), undefined);
  assert.equal(subresourceRest(undefined), undefined);
});

test('the verbs each subresource module serves agree with the registry', () => {
  for (const r of resources) {
    for (const s of r.subresources) {
      const rest = subresourceRest(s.name);
      if (!rest) continue;
      if (rest.create) assert.deepEqual(s.verbs, ['create'], `${r.key}/${s.name}`);
      if (rest.view) assert.deepEqual([...s.verbs].sort(), ['get', 'patch', 'update'], `${r.key}/${s.name}`);
      if (rest.part) {
        const verbs = ['update', ...(rest.part.get ? ['get'] : []), ...(rest.part.patch ? ['patch'] : [])].sort();
        assert.deepEqual([...s.verbs].sort(), verbs, `${r.key}/${s.name}`);
      }
    }
  }
});

test('scale is a view of replicas as autoscaling/v1 Scale, both ways', () => {
  const view = subresourceRest('scale')!.view!;
  const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'x' }, spec: { replicas: 2, selector: { matchLabels: { a: 'b' } } }, status: { replicas: 1 } };
  const scale = view.to(obj);
  assert.deepEqual(scale.spec, { replicas: 2 });
  assert.deepEqual(scale.status, { replicas: 1, selector: 'a=b' });
  const next = view.from(obj, { ...scale, spec: { replicas: 5 } });
  assert.equal((next.spec as { replicas: number }).replicas, 5);
  assert.equal(obj.spec.replicas, 2);
  assert.throws(() => view.from(obj, { ...scale, spec: { replicas: -1 } }), /spec.replicas: Invalid value: -1: must be greater than or equal to 0/);
});
