import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../object.js';
import { pathString } from './fieldset.js';
import { applyOn, ApplyConflictError, recordUpdateOn, type Writer } from './index.js';
import { decodeManagedFields } from './managers.js';

const writer = (manager: string, subresource?: string): Writer => ({ manager, apiVersion: 'apps/v1', subresource });
const deployment = (spec: Record<string, unknown>, labels?: Record<string, string>): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'n', ...(labels ? { labels } : {}) },
  spec,
});
const containers = (...env: Array<[string, string]>) => ({
  template: { spec: { containers: [{ name: 'c', image: 'i', env: env.map(([name, value]) => ({ name, value })) }] } },
});

/** Manager name -> the readable paths it owns. */
function owners(obj: KObject): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of decodeManagedFields(obj.metadata.managedFields).values())
    out[`${m.operation}:${m.manager}${m.subresource ? '/' + m.subresource : ''}`] = [...m.set].map(pathString).sort();
  return out;
}
const empty = (): KObject => ({ metadata: {} });
const apply = (live: KObject, config: KObject, manager: string, force = false, now = 't') =>
  applyOn(structuredClone(live), structuredClone(config), writer(manager), force, now);
function update(live: KObject, change: (o: KObject) => void, w: Writer, now = 't'): KObject {
  const next = structuredClone(live);
  change(next);
  recordUpdateOn(live, next, w, now);
  return next;
}

test('an Update owns what it added or changed; the others lose it', () => {
  const created = update(empty(), (o) => Object.assign(o, deployment({ replicas: 1, paused: false }, { app: 'x' })), writer('kubectl-create'));
  assert.deepEqual(owners(created), {
    'Update:kubectl-create': ['.metadata.labels', '.metadata.labels.app', '.spec', '.spec.paused', '.spec.replicas'],
  });
  const scaled = update(created, (o) => ((o.spec as any).replicas = 3), writer('kubectl-scale', 'scale'));
  assert.deepEqual(owners(scaled)['Update:kubectl-scale/scale'], ['.spec.replicas']);
  assert.ok(!owners(scaled)['Update:kubectl-create']!.includes('.spec.replicas'));
  // A write that changes nothing records nothing (and keeps the entries as they were).
  const again = update(scaled, () => {}, writer('someone'), 'later');
  assert.deepEqual(again.metadata.managedFields, scaled.metadata.managedFields);
  // Removing a field takes it from everybody; an entry left empty goes.
  const unscaled = update(scaled, (o) => delete (o.spec as any).replicas, writer('editor'));
  assert.equal(owners(unscaled)['Update:kubectl-scale/scale'], undefined);
});

test('Apply: owns exactly the configuration; conflicts with other managers unless forced', () => {
  const cases: Array<{
    name: string;
    steps: Array<{ by: string; spec?: Record<string, unknown>; labels?: Record<string, string>; update?: (o: KObject) => void; sub?: string; force?: boolean }>;
    conflict?: RegExp;
    check?: (o: KObject) => void;
  }> = [
    {
      name: 'changing a field another applier owns is a conflict',
      steps: [
        { by: 'a', spec: { replicas: 1 } },
        { by: 'b', spec: { replicas: 2 } },
      ],
      conflict: /^\.spec\.replicas by Apply:a$/,
    },
    {
      name: 'changing a field an Update owns is a conflict',
      steps: [
        { by: 'a', spec: { replicas: 1 } },
        { by: 'kubectl-scale', sub: 'scale', update: (o) => ((o.spec as any).replicas = 5) },
        { by: 'a', spec: { replicas: 1 } },
      ],
      conflict: /^\.spec\.replicas by Update:kubectl-scale\/scale$/,
    },
    {
      name: 'force takes the field over',
      steps: [
        { by: 'a', spec: { replicas: 1 } },
        { by: 'kubectl-scale', sub: 'scale', update: (o) => ((o.spec as any).replicas = 5) },
        { by: 'a', spec: { replicas: 1 }, force: true },
      ],
      check: (o) => {
        assert.equal((o.spec as any).replicas, 1);
        assert.deepEqual(owners(o), { 'Apply:a': ['.spec.replicas'] });
      },
    },
    {
      name: 'the same value is no conflict: both own it',
      steps: [
        { by: 'a', spec: { replicas: 1 } },
        { by: 'b', spec: { replicas: 1 } },
      ],
      check: (o) => assert.deepEqual(owners(o), { 'Apply:a': ['.spec.replicas'], 'Apply:b': ['.spec.replicas'] }),
    },
    {
      name: 'a field the applier stops applying is removed',
      steps: [
        { by: 'a', spec: { replicas: 1, paused: true }, labels: { x: '1', y: '2' } },
        { by: 'a', spec: { replicas: 1 }, labels: { x: '1' } },
      ],
      check: (o) => {
        assert.deepEqual(o.spec, { replicas: 1 });
        assert.deepEqual(o.metadata.labels, { x: '1' });
      },
    },
    {
      name: 'a field another manager also applied stays, owned by that manager only',
      steps: [
        { by: 'a', spec: { paused: true, replicas: 1 } },
        { by: 'b', spec: { paused: true } },
        { by: 'a', spec: { replicas: 1 } },
      ],
      check: (o) => {
        assert.equal((o.spec as any).paused, true);
        assert.deepEqual(owners(o), { 'Apply:a': ['.spec.replicas'], 'Apply:b': ['.spec.paused'] });
      },
    },
    {
      name: 'an env entry dropped from the configuration is removed, the others stay',
      steps: [
        { by: 'a', spec: containers(['A', '1'], ['B', '2']) },
        { by: 'a', spec: containers(['A', '1']) },
      ],
      check: (o) => assert.deepEqual((o.spec as any).template.spec.containers[0].env, [{ name: 'A', value: '1' }]),
    },
    {
      name: 'fields set by an Update stay when an applier stops applying a sibling',
      steps: [
        { by: 'a', labels: { x: '1' } },
        { by: 'editor', update: (o) => (o.metadata.labels!.z = '3') },
        { by: 'a', labels: {} },
      ],
      check: (o) => assert.deepEqual(o.metadata.labels, { z: '3' }),
    },
  ];
  for (const c of cases) {
    let live = empty();
    let error: unknown;
    for (const s of c.steps) {
      try {
        if (s.update) live = update(live, s.update, writer(s.by, s.sub));
        else live = apply(live, deployment(s.spec ?? {}, s.labels), s.by, s.force);
      } catch (e) {
        error = e;
        break;
      }
    }
    if (c.conflict) {
      assert.ok(error instanceof ApplyConflictError, `${c.name}: expected a conflict, got ${error}`);
      const text = error.conflicts
        .map((x) => `${pathString(x.path)} by ${x.manager.operation}:${x.manager.manager}${x.manager.subresource ? '/' + x.manager.subresource : ''}`)
        .join('; ');
      assert.match(text, c.conflict, c.name);
    } else {
      assert.equal(error, undefined, `${c.name}: ${error}`);
      c.check!(live);
    }
  }
});

test('re-applying the same configuration changes nothing, time included', () => {
  const config = deployment({ replicas: 2 }, { app: 'x' });
  const first = apply(empty(), config, 'a', false, 'T1');
  const second = apply(first, config, 'a', false, 'T2');
  assert.deepEqual(second, first);
  assert.equal(second.metadata.managedFields![0]!.time, 'T1');
  const third = apply(first, deployment({ replicas: 3 }, { app: 'x' }), 'a', false, 'T3');
  assert.equal(third.metadata.managedFields![0]!.time, 'T3');
});

test('managedFields a client sends are taken; [{}] drops them; subresources keep the live ones', () => {
  const live = apply(empty(), deployment({ replicas: 2 }), 'a');
  const edited = update(
    live,
    (o) => {
      o.metadata.managedFields = [
        { manager: 'renamed', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      ];
    },
    writer('kubectl-edit'),
  );
  assert.deepEqual(Object.keys(owners(edited)), ['Update:renamed']);
  const reset = update(live, (o) => (o.metadata.managedFields = [{}]), writer('x'));
  assert.equal(reset.metadata.managedFields, undefined);
  const status = update(
    live,
    (o) => {
      o.metadata.managedFields = [];
      o.status = { replicas: 1 };
    },
    writer('controller', 'status'),
  );
  assert.deepEqual(owners(status), { 'Apply:a': ['.spec.replicas'], 'Update:controller/status': ['.status', '.status.replicas'] });
  // Unreadable entries from a client fall back to the live ones.
  const garbage = update(live, (o) => (o.metadata.managedFields = [{ operation: 'Nope' } as any]), writer('y'));
  assert.deepEqual(Object.keys(owners(garbage)), ['Apply:a']);
});

test('entries are ordered as upstream orders them: Apply first, then by time', () => {
  let o = update(empty(), (x) => Object.assign(x, deployment({ paused: true })), writer('creator'), '2024-01-01T00:00:00Z');
  o = apply(o, deployment({ replicas: 2 }), 'applier', false, '2024-01-02T00:00:00Z');
  o = update(o, (x) => (x.metadata.labels = { a: 'b' }), writer('labeler'), '2024-01-03T00:00:00Z');
  assert.deepEqual(
    o.metadata.managedFields!.map((m) => m.manager),
    ['applier', 'creator', 'labeler'],
  );
});

test('the create fast path writes the same entry as the general comparison', async () => {
  const { recordUpdate, encodeManagedFields } = await import('./managers.js');
  const { compare, createdFieldsV1 } = await import('./typed.js');
  const { rootType } = await import('./schema.js');
  const objects: KObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'n', labels: { a: 'b' }, finalizers: ['x', 'y'] },
      spec: {
        containers: [
          { name: 'c', image: 'i', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }], resources: {} },
          { name: 'c', image: 'dup' },
        ],
        tolerations: [{ key: 'k' }],
        securityContext: {},
      },
    },
    { ...deployment({ replicas: 2, selector: { matchLabels: { a: 'b' } }, ...containers(['X', '1']) }, { app: 'x' }) },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', uid: 'u', resourceVersion: '5' }, data: { a: '1', b: '' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'empty' } },
  ];
  for (const o of objects) {
    const t = rootType(o.apiVersion!, o.kind!);
    const general = encodeManagedFields(recordUpdate(compare(t, {}, o), new Map(), writer('w'), 't'));
    const fast = createdFieldsV1(t, o);
    assert.deepEqual(fast, general[0]?.fieldsV1 ?? {}, o.metadata.name);
    assert.equal(JSON.stringify(fast), JSON.stringify(general[0]?.fieldsV1 ?? {}), `${o.metadata.name}: order`);
  }
});

test('main-resource writes own no status; status writes own only status (upstream reset fields)', () => {
  const created = update(
    empty(),
    (o) => Object.assign(o, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { nodeName: 'n' }, status: { phase: 'Pending' } }),
    { manager: 'creator', apiVersion: 'v1' },
  );
  assert.deepEqual(owners(created), { 'Update:creator': ['.spec', '.spec.nodeName'] });
  const edited = update(created, (o) => ((o.status as any).phase = 'Running'), { manager: 'editor', apiVersion: 'v1' });
  assert.deepEqual(Object.keys(owners(edited)), ['Update:creator']);
  const reported = update(
    created,
    (o) => {
      (o.status as any).phase = 'Running';
      (o.spec as any).nodeName = 'other';
    },
    { manager: 'kubelet', apiVersion: 'v1', subresource: 'status' },
  );
  assert.deepEqual(owners(reported), { 'Update:creator': ['.spec', '.spec.nodeName'], 'Update:kubelet/status': ['.status.phase'] });
});

test('kubectl may take the fields of its last client-side apply; nothing else, and nobody else may', () => {
  const lastApplied = JSON.stringify(deployment({ replicas: 1 }));
  let live = update(
    empty(),
    (o) =>
      Object.assign(o, deployment({ replicas: 1, paused: false }), {
        metadata: { name: 'd', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } },
      }),
    writer('kubectl-client-side-apply'),
  );
  live = update(live, (o) => ((o.spec as any).paused = true), writer('someone'));
  // .spec.replicas was in the last-applied configuration: taken over.
  const upgraded = apply(live, deployment({ replicas: 3 }), 'kubectl');
  assert.equal((upgraded.spec as any).replicas, 3);
  assert.deepEqual(owners(upgraded)['Apply:kubectl'], ['.spec.replicas']);
  // .spec.paused wasn't (someone else set it): still a conflict, for kubectl too.
  assert.throws(
    () => apply(live, deployment({ replicas: 3, paused: false }), 'kubectl'),
    (e) => e instanceof ApplyConflictError && e.conflicts.length === 1 && pathString(e.conflicts[0]!.path) === '.spec.paused',
  );
  // Another manager gets no such pass.
  assert.throws(() => apply(live, deployment({ replicas: 3 }), 'helm'), ApplyConflictError);
});

test('more than 10 Update entries: the oldest are merged into ancient-changes', () => {
  let o = apply(empty(), deployment({ replicas: 1 }), 'applier');
  for (let i = 0; i < 12; i++)
    o = update(o, (x) => ((x.metadata.labels ??= {})[`l${i}`] = 'v'), writer(`m${i}`), `2024-01-01T00:00:${String(i).padStart(2, '0')}Z`);
  const names = o.metadata.managedFields!.map((m) => m.manager);
  assert.equal(names.filter((n) => n !== 'applier').length, 10);
  assert.ok(!names.includes('m0') && !names.includes('m1') && !names.includes('m2'), names.join());
  const ancient = owners(o)['Update:ancient-changes'];
  assert.deepEqual(ancient, ['.metadata.labels', '.metadata.labels.l0', '.metadata.labels.l1', '.metadata.labels.l2']);
  assert.deepEqual(owners(o)['Update:m11'], ['.metadata.labels.l11']);
  assert.ok(names.includes('applier'), 'Apply entries are never merged');
});

// ---- an Update that leaves every set as it is keeps the writer's stored tree ----

/** The general path of recordUpdateOn, with every entry read in full (never kept as stored). */
async function generalUpdate(live: KObject, next: KObject, w: Writer, now: string): Promise<unknown> {
  const { recordUpdate, encodeManagedFields } = await import('./managers.js');
  const { compare } = await import('./typed.js');
  const { rootType } = await import('./schema.js');
  const ignored = new Set(w.subresource === 'status' ? ['spec', 'metadata'] : ['status']);
  const c = compare(rootType(next.apiVersion!, next.kind!), live, next, ignored);
  const managers = decodeManagedFields(live.metadata.managedFields);
  const out = recordUpdate(c, managers, w, now);
  return out === managers ? live.metadata.managedFields : encodeManagedFields(out);
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('an Update of fields its writer alone owns keeps the stored tree; same bytes as the general path', async () => {
  let kept = 0;
  let steps = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const r = seeded(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    let live: KObject = {
      ...deployment({ replicas: 1, paused: false, ...containers(['A', '1'], ['B', '2']) }, { app: 'x', tier: 'web' }),
      status: { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] },
    };
    live = update(empty(), (o) => Object.assign(o, structuredClone(live)), writer('creator'), '2026-01-01T00:00:00Z');
    for (let i = 1; i <= 40; i++) {
      // A few writers, each mostly rewriting the same fields (as leases and heartbeats do).
      const w = pick([writer('a'), writer('a'), writer('b'), writer('kubelet', 'status'), writer('kubelet', 'status')]);
      const v = String(Math.floor(r() * 3));
      const next = structuredClone(live);
      const spec = next.spec as any;
      const status = next.status as any;
      if (w.subresource) {
        const change = pick(['replicas', 'condition', 'condition', 'new', 'drop']);
        if (change === 'replicas') status.replicas = Number(v);
        else if (change === 'condition') status.conditions[0].status = v;
        else if (change === 'new') status.observedGeneration = Number(v);
        else delete status.observedGeneration;
      } else {
        const change = pick(['label', 'label', 'replicas', 'env', 'newLabel', 'dropLabel', 'paused']);
        if (change === 'label') next.metadata.labels!.tier = v;
        else if (change === 'replicas') spec.replicas = Number(v);
        else if (change === 'env') spec.template.spec.containers[0].env[1].value = v;
        else if (change === 'newLabel') next.metadata.labels![`l${v}`] = v;
        else if (change === 'dropLabel') delete next.metadata.labels![`l${v}`];
        else spec.paused = !spec.paused;
      }
      const now = `2026-01-01T00:${String(i).padStart(2, '0')}:00Z`;
      const general = JSON.stringify(await generalUpdate(live, next, w, now));
      recordUpdateOn(live, next, w, now);
      assert.equal(JSON.stringify(next.metadata.managedFields), general, `seed ${seed} step ${i}`);
      const before = live.metadata.managedFields?.find((e) => e.manager === w.manager && e.subresource === w.subresource);
      const after = next.metadata.managedFields?.find((e) => e.manager === w.manager && e.subresource === w.subresource);
      if (before && after && before.fieldsV1 === after.fieldsV1 && after.time === now) kept++;
      steps++;
      live = next;
    }
  }
  // The kept-tree path is taken often enough for the comparison to mean something.
  assert.ok(kept > steps / 5, `${kept} of ${steps} writes kept the tree`);
});

test('stored trees not as toFieldsV1 writes them are written anew, as the general path does', async () => {
  const base = (fieldsV1: unknown): KObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'd',
      labels: { app: 'x' },
      managedFields: [{ manager: 'a', operation: 'Update', apiVersion: 'apps/v1', time: 't0', fieldsType: 'FieldsV1', fieldsV1 } as any],
    },
    spec: { replicas: 1, paused: false },
  });
  const trees = [
    // Children out of order.
    { 'f:spec': { 'f:replicas': {}, 'f:paused': {} } },
    // `.` where a member leaf is `{}`; `.` not first; `.` holding something.
    { 'f:spec': { 'f:paused': {}, 'f:replicas': { '.': {} } } },
    { 'f:spec': { 'f:paused': {}, '.': {}, 'f:replicas': {} } },
    { 'f:spec': { '.': { x: {} }, 'f:paused': {}, 'f:replicas': {} } },
    // metadata owned itself (stripped from every set), and `.` at the root.
    { 'f:metadata': {}, 'f:spec': { 'f:replicas': {} } },
    { '.': {}, 'f:spec': { 'f:replicas': {} } },
    // The canonical tree, for contrast: kept.
    { 'f:spec': { 'f:paused': {}, 'f:replicas': {} } },
  ];
  for (const [i, tree] of trees.entries()) {
    const live = base(tree);
    const next = structuredClone(live);
    (next.spec as any).replicas = 2;
    const general = JSON.stringify(await generalUpdate(live, next, writer('a'), 't1'));
    recordUpdateOn(live, next, writer('a'), 't1');
    assert.equal(JSON.stringify(next.metadata.managedFields), general, `tree ${i}`);
    assert.equal(next.metadata.managedFields![0]!.fieldsV1 === tree, i === trees.length - 1, `tree ${i} kept`);
  }
});
