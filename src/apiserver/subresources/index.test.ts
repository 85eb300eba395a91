import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources } from '../../registry/index.js';
import { streamRest, subresourceRest } from './index.js';

test('every subresource the registry lists has exactly one module: served here, or streamed from the node', () => {
  for (const r of resources) {
    for (const s of r.subresources) {
      const here = subresourceRest(s.name);
      const streamed = streamRest(r.key, s.name);
      assert.ok(
        !!here !== !!streamed,
        `${r.key}/${s.name}: ${here ? 'a REST module' : 'no REST module'} and ${streamed ? 'a stream module' : 'no stream module'}`,
      );
    }
  }
  assert.equal(subresourceRest(''), undefined);
  assert.equal(subresourceRest(undefined), undefined);
  assert.equal(streamRest('pods', undefined), undefined);
  // A stream belongs to a resource, not to a name: nodes have no log.
  assert.equal(streamRest('nodes', 'log'), undefined);
});

test('the verbs of each streamed subresource agree with what its module takes', () => {
  for (const r of resources) {
    for (const s of r.subresources) {
      const stream = streamRest(r.key, s.name);
      if (!stream) continue;
      // Upgrades are POSTs (SPDY) or GETs (WebSocket): create and get, as upstream lists them.
      if (stream.upgrade && !stream.serve) assert.deepEqual([...s.verbs].sort(), ['create', 'get'], `${r.key}/${s.name}`);
      if (stream.serve && !stream.upgrade) assert.deepEqual(s.verbs, ['get'], `${r.key}/${s.name}`);
      // A proxy takes every verb a request may have.
      if (stream.takesPath) assert.deepEqual([...s.verbs].sort(), ['create', 'delete', 'get', 'patch', 'update'], `${r.key}/${s.name}`);
    }
  }
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
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'x' },
    spec: { replicas: 2, selector: { matchLabels: { a: 'b' } } },
    status: { replicas: 1 },
  };
  const scale = view.to(obj);
  assert.deepEqual(scale.spec, { replicas: 2 });
  assert.deepEqual(scale.status, { replicas: 1, selector: 'a=b' });
  const next = view.from(obj, { ...scale, spec: { replicas: 5 } });
  assert.equal((next.spec as { replicas: number }).replicas, 5);
  assert.equal(obj.spec.replicas, 2);
  assert.throws(() => view.from(obj, { ...scale, spec: { replicas: -1 } }), /spec.replicas: Invalid value: -1: must be greater than or equal to 0/);
});
