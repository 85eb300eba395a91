import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1';
import { portMapKey, type PortGroup } from './desired.js';
import { reconcileSlices, type SliceChanges } from './reconciler.js';

const svc: Service = { metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid' }, spec: { selector: { app: 'web' } } };
const PORTS: EndpointPort[] = [{ name: 'http', port: 8080, protocol: 'TCP' }];

function ep(i: number, ready = true): Endpoint {
  return {
    addresses: [`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`],
    conditions: { ready, serving: ready, terminating: false },
    targetRef: { kind: 'Pod', namespace: 'ns', name: `p${i}`, uid: `u${i}` },
    nodeName: 'n1',
  };
}

function range(from: number, to: number, ready = true): Endpoint[] {
  return Array.from({ length: to - from }, (_, k) => ep(from + k, ready));
}

function desired(endpoints: Endpoint[], ports = PORTS): Map<string, PortGroup> {
  return endpoints.length ? new Map([[portMapKey(ports), { ports, endpoints }]]) : new Map();
}

let n = 0;
/** Applies changes as a server would: created slices get names. */
function apply(existing: EndpointSlice[], c: SliceChanges): EndpointSlice[] {
  const gone = new Set([...c.delete, ...c.update].map((s) => s.metadata!.name));
  const kept = existing.filter((s) => !gone.has(s.metadata!.name));
  const created = c.create.map((s) => ({ ...s, metadata: { ...s.metadata, name: `${s.metadata!.generateName}${++n}` } }));
  return [...kept, ...c.update, ...created];
}

const sizes = (slices: EndpointSlice[]) => slices.map((s) => s.endpoints.length).sort((a, b) => b - a);
const writes = (c: SliceChanges) => c.create.length + c.update.length + c.delete.length;

test('150 endpoints make two slices, 100 and 50, owned by and labelled for the Service', () => {
  const c = reconcileSlices(svc, [], desired(range(0, 150)), 100);
  assert.equal(c.update.length + c.delete.length, 0);
  assert.deepEqual(sizes(c.create), [100, 50]);
  for (const s of c.create) {
    assert.equal(s.metadata!.generateName, 'web-');
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, PORTS);
    assert.deepEqual(s.metadata!.labels, { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.deepEqual(s.metadata!.ownerReferences, [
      { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true },
    ]);
  }
});

test('nothing changed, nothing written; a second pass over the result is a no-op', () => {
  const slices = apply([], reconcileSlices(svc, [], desired(range(0, 150)), 100));
  assert.equal(writes(reconcileSlices(svc, slices, desired(range(0, 150)), 100)), 0);
});

test('one endpoint turning unready updates only its slice, in place', () => {
  const slices = apply([], reconcileSlices(svc, [], desired(range(0, 150)), 100));
  const want = range(0, 150);
  want[120] = ep(120, false);
  const c = reconcileSlices(svc, slices, desired(want), 100);
  assert.equal(c.create.length + c.delete.length, 0);
  assert.equal(c.update.length, 1);
  const updated = c.update[0]!;
  assert.ok(slices.some((s) => s.metadata!.name === updated.metadata!.name));
  assert.equal(updated.endpoints.find((e) => e.targetRef!.name === 'p120')!.conditions!.ready, false);
});

test('new endpoints fill a slice being written anyway before a new one is made', () => {
  let slices = apply([], reconcileSlices(svc, [], desired(range(0, 150)), 100));
  // p0 leaves (its slice is written) and five new endpoints arrive: they go into that slice.
  const want = [...range(1, 150), ...range(150, 155)];
  const c = reconcileSlices(svc, slices, desired(want), 100);
  assert.equal(c.create.length, 0);
  assert.equal(c.delete.length, 0);
  slices = apply(slices, c);
  assert.equal(
    slices.reduce((k, s) => k + s.endpoints.length, 0),
    154,
  );
  assert.ok(sizes(slices)[0]! <= 100);
});

test('new endpoints go into an unchanged slice with room rather than a new slice', () => {
  const slices = apply([], reconcileSlices(svc, [], desired(range(0, 150)), 100));
  const c = reconcileSlices(svc, slices, desired(range(0, 160)), 100);
  assert.equal(c.create.length, 0);
  assert.equal(c.update.length, 1);
  assert.equal(c.update[0]!.endpoints.length, 60);
});

test('scaling down to nothing leaves one placeholder slice; scaling up again reuses it', () => {
  let slices = apply([], reconcileSlices(svc, [], desired(range(0, 3)), 100));
  assert.equal(slices.length, 1);
  const first = slices[0]!.metadata!.name;
  const c = reconcileSlices(svc, slices, desired([]), 100);
  // The emptied slice is rewritten as the placeholder rather than deleted and created again.
  assert.equal(c.create.length + c.delete.length, 0);
  slices = apply(slices, c);
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0]!.endpoints, []);
  assert.deepEqual(slices[0]!.ports, []);
  assert.equal(slices[0]!.metadata!.name, first);
  // The placeholder stays as it is while there is nothing to publish.
  assert.equal(writes(reconcileSlices(svc, slices, desired([]), 100)), 0);
  const up = reconcileSlices(svc, slices, desired(range(0, 2)), 100);
  assert.equal(up.create.length + up.delete.length, 0);
  assert.equal(up.update[0]!.metadata!.name, first);
  assert.deepEqual(up.update[0]!.ports, PORTS);
  assert.equal(up.update[0]!.endpoints.length, 2);
});

test('a Service without endpoints gets one placeholder slice', () => {
  const c = reconcileSlices(svc, [], desired([]), 100);
  assert.equal(c.create.length, 1);
  assert.deepEqual(c.create[0]!.endpoints, []);
  assert.deepEqual(c.create[0]!.ports, []);
});

test('slices of an earlier Service of the same name are replaced', () => {
  const old = apply([], reconcileSlices({ ...svc, metadata: { ...svc.metadata, uid: 'old-uid' } }, [], desired(range(0, 3)), 100));
  const c = reconcileSlices(svc, old, desired(range(0, 3)), 100);
  assert.equal(c.create.length, 1);
  assert.equal(c.delete.length, 1);
  assert.equal(c.create[0]!.metadata!.ownerReferences![0]!.uid, 'svc-uid');
});

test('a port change moves endpoints to a slice with the new ports, reusing the old slice', () => {
  const slices = apply([], reconcileSlices(svc, [], desired(range(0, 3)), 100));
  const ports: EndpointPort[] = [{ name: 'http', port: 9090, protocol: 'TCP' }];
  const c = reconcileSlices(svc, slices, desired(range(0, 3), ports), 100);
  assert.equal(c.create.length + c.delete.length, 0);
  assert.equal(c.update.length, 1);
  assert.deepEqual(c.update[0]!.ports, ports);
  assert.equal(c.update[0]!.metadata!.name, slices[0]!.metadata!.name);
});

test('a smaller maximum splits existing slices', () => {
  const slices = apply([], reconcileSlices(svc, [], desired(range(0, 150)), 100));
  const after = apply(slices, reconcileSlices(svc, slices, desired(range(0, 150)), 50));
  assert.deepEqual(sizes(after), [50, 50, 50]);
});
