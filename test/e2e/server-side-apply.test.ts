// Server-side apply with field ownership, as the real kubectl (1.32) sees it: conflicts with
// other managers (kubectl scale), --force-conflicts, fields removed when a manager stops applying
// them, fields shared between managers, and managedFields recorded for every kind of write.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { api, kubectl, kubectlPath, requireFile, startServer, kubectlOk, type RunningServer } from './harness.js';

let s: RunningServer;
// kubectl scale (1.32) sends no fieldManager: the server names it from its User-Agent, whose
// first word is the program's file name (`kubectl` for a user, `kubectl.1.32` here).
const SCALER = basename(kubectlPath('1.32'));
const scalerRe = SCALER.replace(/\./g, '\\.');
const k = (args: string[], input?: string) => kubectl(s, args, { input });
const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
  ok(['create', 'namespace', 'ssa']);
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

function manifest(opts: { replicas?: number; labels?: Record<string, string>; env?: Record<string, string>; name?: string } = {}): string {
  const labels = { app: 'web', ...(opts.labels ?? {}) };
  const env = Object.entries(opts.env ?? {});
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: opts.name ?? 'web', namespace: 'ssa', labels },
    spec: {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.25', ...(env.length ? { env: env.map(([name, value]) => ({ name, value })) } : {}) }] },
      },
    },
  });
}

const getDeploy = (name = 'web') => JSON.parse(ok(['get', 'deploy', name, '-n', 'ssa', '-o', 'json', '--show-managed-fields']));
const entry = (obj: any, manager: string) => obj.metadata.managedFields.find((m: any) => m.manager === manager);

test('kubectl scale then re-apply: a conflict naming the scaler and .spec.replicas; --force-conflicts takes ownership', () => {
  const config = manifest({ replicas: 2 });
  assert.equal(ok(['apply', '--server-side', '-f', '-'], config).trim(), 'deployment.apps/web serverside-applied');
  const applied = entry(getDeploy(), 'kubectl');
  assert.equal(applied.operation, 'Apply');
  assert.deepEqual(applied.fieldsV1['f:spec']['f:replicas'], {});
  assert.match(applied.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  assert.equal(ok(['scale', 'deploy', 'web', '-n', 'ssa', '--replicas=5']).trim(), 'deployment.apps/web scaled');
  const scaled = getDeploy();
  const scaler = entry(scaled, SCALER);
  assert.deepEqual(
    { operation: scaler.operation, subresource: scaler.subresource, fieldsV1: scaler.fieldsV1 },
    { operation: 'Update', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
  );
  assert.equal(entry(scaled, 'kubectl').fieldsV1['f:spec']['f:replicas'], undefined, 'the applier lost .spec.replicas to kubectl scale');

  const refused = k(['apply', '--server-side', '-f', '-'], config);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    new RegExp(`Apply failed with 1 conflict: conflict with "${scalerRe}" with subresource "scale" using apps/v1: \\.spec\\.replicas`),
  );
  assert.match(refused.stderr, /--force-conflicts/, 'kubectl explains how to resolve it');
  assert.equal(getDeploy().spec.replicas, 5);

  assert.equal(ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], config).trim(), 'deployment.apps/web serverside-applied');
  const forced = getDeploy();
  assert.equal(forced.spec.replicas, 2);
  assert.equal(entry(forced, SCALER), undefined, 'the scaler owned nothing else: its entry is gone');
  assert.deepEqual(entry(forced, 'kubectl').fieldsV1['f:spec']['f:replicas'], {});
});

test('the conflict Status: 409, reason Conflict, one FieldManagerConflict cause per field', async () => {
  ok(['scale', 'deploy', 'web', '-n', 'ssa', '--replicas=4']);
  const r = await api(s, 'PATCH', '/apis/apps/v1/namespaces/ssa/deployments/web?fieldManager=kubectl', manifest({ replicas: 2, labels: { tier: 'x' } }), {
    'Content-Type': 'application/apply-patch+yaml',
  });
  assert.equal(r.status, 409);
  assert.equal(r.json.reason, 'Conflict');
  assert.deepEqual(r.json.details.causes, [
    { reason: 'FieldManagerConflict', message: `conflict with "${SCALER}" with subresource "scale" using apps/v1`, field: '.spec.replicas' },
  ]);
  const force = await api(s, 'PATCH', '/apis/apps/v1/namespaces/ssa/deployments/web?fieldManager=kubectl&force=true', manifest({ replicas: 2 }), {
    'Content-Type': 'application/apply-patch+yaml',
  });
  assert.equal(force.status, 200);
  assert.equal(force.json.spec.replicas, 2);
});

test('applying an unchanged configuration is a no-op: same resourceVersion, same managedFields', async () => {
  // A ConfigMap: no controller writes to it between the two applies.
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'noop', namespace: 'ssa', labels: { a: 'b' } }, data: { k: 'v' } };
  const path = '/api/v1/namespaces/ssa/configmaps/noop?fieldManager=tool';
  const first = await api(s, 'PATCH', path, cm, { 'Content-Type': 'application/apply-patch+yaml' });
  assert.equal(first.status, 201);
  const again = await api(s, 'PATCH', path, cm, { 'Content-Type': 'application/apply-patch+yaml' });
  assert.equal(again.status, 200);
  assert.equal(again.json.metadata.resourceVersion, first.json.metadata.resourceVersion);
  assert.deepEqual(again.json.metadata.managedFields, first.json.metadata.managedFields);
});

test('a label and an env entry the manager stops applying are removed', () => {
  ok(['apply', '--server-side', '-f', '-'], manifest({ name: 'prune', replicas: 1, labels: { tier: 'web' }, env: { A: '1', B: '2' } }));
  let d = getDeploy('prune');
  assert.deepEqual(d.metadata.labels, { app: 'web', tier: 'web' });
  assert.deepEqual(d.spec.template.spec.containers[0].env, [
    { name: 'A', value: '1' },
    { name: 'B', value: '2' },
  ]);
  ok(['apply', '--server-side', '-f', '-'], manifest({ name: 'prune', replicas: 1, env: { A: '1' } }));
  d = getDeploy('prune');
  assert.deepEqual(d.metadata.labels, { app: 'web' });
  assert.deepEqual(d.spec.template.spec.containers[0].env, [{ name: 'A', value: '1' }]);
  // Defaults nobody applied stay (they are nobody's to remove).
  assert.equal(d.spec.template.spec.containers[0].terminationMessagePath, '/dev/termination-log');
});

test('two managers applying the same value share the field; one dropping it keeps it', () => {
  ok(['apply', '--server-side', '-f', '-'], manifest({ name: 'shared', replicas: 1, labels: { team: 'a' } }));
  // The other manager applies the same label value: no conflict.
  ok(
    ['apply', '--server-side', '--field-manager=other', '-f', '-'],
    JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shared', namespace: 'ssa', labels: { team: 'a' } } }),
  );
  let d = getDeploy('shared');
  assert.deepEqual(entry(d, 'other').fieldsV1, { 'f:metadata': { 'f:labels': { 'f:team': {} } } });
  assert.deepEqual(entry(d, 'kubectl').fieldsV1['f:metadata']['f:labels']['f:team'], {});
  // A different value from the other manager is a conflict with kubectl's apply.
  const refused = k(
    ['apply', '--server-side', '--field-manager=other', '-f', '-'],
    JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shared', namespace: 'ssa', labels: { team: 'b' } } }),
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.metadata\.labels\.team/);
  // kubectl stops applying the label: the other manager still owns it, so it stays.
  ok(['apply', '--server-side', '-f', '-'], manifest({ name: 'shared', replicas: 1 }));
  d = getDeploy('shared');
  assert.equal(d.metadata.labels.team, 'a');
  assert.equal(entry(d, 'kubectl').fieldsV1['f:metadata']['f:labels']['f:team'], undefined);
  // Then the other one drops it too: now it goes.
  ok(
    ['apply', '--server-side', '--field-manager=other', '-f', '-'],
    JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shared', namespace: 'ssa' } }),
  );
  d = getDeploy('shared');
  assert.equal(d.metadata.labels.team, undefined);
});

test('every write records an Update entry for its manager: create, client-side apply, label, status', async () => {
  ok(['create', 'configmap', 'cm', '-n', 'ssa', '--from-literal=a=1']);
  ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: csa, namespace: ssa}\ndata: {b: "2"}\n');
  ok(['label', 'configmap', 'csa', '-n', 'ssa', 'x=y']);
  const created = JSON.parse(ok(['get', 'cm', 'cm', '-n', 'ssa', '-o', 'json', '--show-managed-fields']));
  assert.deepEqual(entry(created, 'kubectl-create').fieldsV1, { 'f:data': { '.': {}, 'f:a': {} } });
  const csa = JSON.parse(ok(['get', 'cm', 'csa', '-n', 'ssa', '-o', 'json', '--show-managed-fields']));
  const byCsa = entry(csa, 'kubectl-client-side-apply');
  assert.equal(byCsa.operation, 'Update');
  assert.deepEqual(byCsa.fieldsV1['f:data'], { '.': {}, 'f:b': {} });
  assert.deepEqual(entry(csa, 'kubectl-label').fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } } });
  // kubectl hides managedFields unless asked.
  assert.doesNotMatch(ok(['get', 'cm', 'csa', '-n', 'ssa', '-o', 'yaml']), /managedFields/);
  assert.match(ok(['get', 'cm', 'csa', '-n', 'ssa', '-o', 'yaml', '--show-managed-fields']), /manager: kubectl-label\n\s+operation: Update/);

  // A status write through the subresource, manager from the User-Agent.
  const st = await api(
    s,
    'PATCH',
    '/apis/apps/v1/namespaces/ssa/deployments/web/status',
    { status: { observedGeneration: 1 } },
    {
      'Content-Type': 'application/merge-patch+json',
      'User-Agent': 'my-controller/v0.1 (linux/amd64)',
    },
  );
  assert.equal(st.status, 200);
  const byController = st.json.metadata.managedFields.find((m: any) => m.manager === 'my-controller');
  assert.deepEqual(
    { subresource: byController.subresource, fieldsV1: byController.fieldsV1 },
    { subresource: 'status', fieldsV1: { 'f:status': { 'f:observedGeneration': {} } } },
  );
});

test('moving from client-side to server-side apply: kubectl takes its client-side fields over, no conflict', () => {
  ok(['apply', '-f', '-'], manifest({ name: 'moved', replicas: 1, labels: { tier: 'a' } }));
  assert.equal(entry(getDeploy('moved'), 'kubectl-client-side-apply').operation, 'Update');
  // .spec.replicas is kubectl-client-side-apply's, but it is in the last-applied annotation:
  // kubectl's first server-side apply may take it (as upstream's server allows).
  assert.equal(ok(['apply', '--server-side', '-f', '-'], manifest({ name: 'moved', replicas: 3 })).trim(), 'deployment.apps/moved serverside-applied');
  const d = getDeploy('moved');
  assert.equal(d.spec.replicas, 3);
  // kubectl then hands the rest of client-side apply's fields to its Apply entry (a JSON patch
  // of managedFields, which the server takes as sent) and applies again: the label its
  // client-side apply set and this configuration dropped is removed.
  assert.equal(entry(d, 'kubectl-client-side-apply'), undefined);
  assert.equal(entry(d, 'kubectl').operation, 'Apply');
  assert.equal(d.metadata.labels.tier, undefined);
  assert.equal(entry(d, 'kubectl').fieldsV1['f:metadata']['f:labels']['f:tier'], undefined);
  // Someone else's field is still a conflict.
  ok(['label', 'deploy', 'moved', '-n', 'ssa', 'owner=me']);
  const refused = k(['apply', '--server-side', '-f', '-'], manifest({ name: 'moved', replicas: 3, labels: { owner: 'you' } }));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /conflict with "kubectl-label" using apps\/v1: \.metadata\.labels\.owner/);
});

test('apply through the scale and status subresources: entries with their subresource', async () => {
  ok(['apply', '--server-side', '-f', '-'], manifest({ name: 'sub', replicas: 1 }));
  const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'sub', namespace: 'ssa' }, spec: { replicas: 4 } };
  const path = '/apis/apps/v1/namespaces/ssa/deployments/sub/scale?fieldManager=autoscaler';
  const refused = await api(s, 'PATCH', path, scale, { 'Content-Type': 'application/apply-patch+yaml' });
  assert.equal(refused.status, 409);
  assert.equal(refused.json.message, 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
  const forced = await api(s, 'PATCH', `${path}&force=true`, scale, { 'Content-Type': 'application/apply-patch+yaml' });
  assert.equal(forced.status, 200);
  assert.equal(forced.json.kind, 'Scale');
  assert.equal(forced.json.spec.replicas, 4);
  const d = getDeploy('sub');
  const autoscaler = entry(d, 'autoscaler');
  assert.deepEqual(
    { operation: autoscaler.operation, subresource: autoscaler.subresource, fieldsV1: autoscaler.fieldsV1 },
    { operation: 'Apply', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
  );
  assert.equal(entry(d, 'kubectl').fieldsV1['f:spec']['f:replicas'], undefined);

  const status = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'sub', namespace: 'ssa' },
    status: { observedGeneration: 42 },
    spec: { replicas: 9 },
  };
  const st = await api(s, 'PATCH', '/apis/apps/v1/namespaces/ssa/deployments/sub/status?fieldManager=reporter&force=true', status, {
    'Content-Type': 'application/apply-patch+yaml',
  });
  assert.equal(st.status, 200);
  assert.equal(st.json.spec.replicas, 4, 'a status apply leaves spec alone');
  const reporter = st.json.metadata.managedFields.find((m: any) => m.manager === 'reporter');
  assert.deepEqual(
    { subresource: reporter.subresource, fieldsV1: reporter.fieldsV1 },
    { subresource: 'status', fieldsV1: { 'f:status': { 'f:observedGeneration': {} } } },
  );
});

test('configurations the schema cannot place are a 4xx, not a crash', async () => {
  const pod = (containers: unknown[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'ssa' }, spec: { containers } });
  const path = '/api/v1/namespaces/ssa/pods/bad?fieldManager=tool';
  const noKey = await api(s, 'PATCH', path, pod([{ image: 'busybox' }]), { 'Content-Type': 'application/apply-patch+yaml' });
  assert.equal(noKey.status, 422);
  assert.match(noKey.json.message, /\.spec\.containers: associative list with keys has an element that omits key field "name"/);
  const twice = await api(
    s,
    'PATCH',
    path,
    pod([
      { name: 'a', image: 'busybox' },
      { name: 'a', image: 'busybox' },
    ]),
    { 'Content-Type': 'application/apply-patch+yaml' },
  );
  assert.equal(twice.status, 422);
  assert.match(twice.json.message, /\.spec\.containers: duplicate entries for key \{"name":"a"\}/);
  const withFields = await api(
    s,
    'PATCH',
    path,
    { ...pod([{ name: 'a', image: 'busybox' }]), metadata: { name: 'bad', managedFields: [{ manager: 'x', operation: 'Apply' }] } },
    { 'Content-Type': 'application/apply-patch+yaml' },
  );
  assert.equal(withFields.status, 400);
  assert.equal(withFields.json.message, 'metadata.managedFields must be nil');
  const longName = await api(s, 'POST', `/api/v1/namespaces/ssa/configmaps?fieldManager=${'x'.repeat(129)}`, { metadata: { name: 'long' } });
  assert.equal(longName.status, 422);
  assert.equal((await api(s, 'GET', '/api/v1/namespaces/ssa/pods/bad')).status, 404, 'nothing was created');
});
