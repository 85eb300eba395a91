// The control plane's components with their own least-privilege identities under
// --authorization-mode Node,RBAC, with real kubectl and a `berth sim` node standing in for the
// kubelet: a Deployment, a Service, a Job and a CronJob all work; the scheduler's and the
// controller manager's kubeconfigs the server writes are system:kube-scheduler and
// system:kube-controller-manager; the controllers' ServiceAccounts exist; a controller's own
// credential is refused what its role lacks. Taking one rule from a component's default role
// (the Job controller's pod rule, the scheduler's pods/binding) stops that component with
// upstream's 403 naming its identity until the rule is back, which no component holding the
// admin's token would notice. The standalone scheduler and controller manager run on the
// kubeconfigs the server wrote, the controllers again on their own ServiceAccounts' certificates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { issueCertificate } from '../../src/apiserver/pki.js';
import { controllerIdentity } from '../../src/api/component-identities.js';
import { writeKubeconfig } from '../../src/apiserver/kubeconfig.js';
import { BERTH, eventually, kubectl, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';

let s: RunningServer;
let sim: ChildProcess | undefined;
let simOutput = '';
const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });
const json = (args: string[]) => JSON.parse(ok([...args, '-o', 'json']));
const apply = (obj: unknown) => ok(['apply', '-f', '-'], YAML.stringify(obj));
/** kubectl with another kubeconfig than the admin's. */
const as = (kubeconfig: string, args: string[]) => kubectl({ ...s, kubeconfig }, args);

const EXIT_SOON = { 'sim.berth.dev/exit-after': '300ms' };

function job(name: string) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { template: { metadata: { annotations: EXIT_SOON }, spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] } } },
  };
}

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer({ args: ['--authorization-mode', 'Node,RBAC'] });
  sim = spawn(process.execPath, [BERTH, 'sim', '--kubeconfig', s.kubeconfig, '--nodes', '1', '--name-prefix', 'ident-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  sim.stdout!.on('data', (d) => (simOutput += d));
  sim.stderr!.on('data', (d) => (simOutput += d));
  await eventually(() => /nodes registered in/.test(simOutput) || undefined, `sim node registered:\n${simOutput}`, 60_000);
  // The first run of a one-minute schedule comes at the next minute: start it first.
  apply({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'every-minute', namespace: 'default' },
    spec: { schedule: '*/1 * * * *', jobTemplate: { spec: job('x').spec } },
  });
});

after(async () => {
  sim?.kill('SIGTERM');
  await s?.stop();
  s?.cleanup();
});

test('the scheduler and controller manager kubeconfigs are their upstream users, with their roles only', () => {
  const scheduler = join(s.dataDir, 'scheduler.kubeconfig');
  const manager = join(s.dataDir, 'controller-manager.kubeconfig');
  assert.match(as(scheduler, ['auth', 'whoami']).stdout, /Username\s+system:kube-scheduler\nGroups\s+\[system:authenticated\]/);
  assert.match(as(manager, ['auth', 'whoami']).stdout, /Username\s+system:kube-controller-manager\nGroups\s+\[system:authenticated\]/);
  const canI = (kc: string, args: string[]) => as(kc, ['auth', 'can-i', ...args]).stdout.trim();
  assert.equal(canI(scheduler, ['create', 'pods', '--subresource=binding', '-n', 'default']), 'yes');
  assert.equal(canI(scheduler, ['update', 'leases/kube-scheduler', '-n', 'kube-system']), 'yes');
  assert.equal(canI(scheduler, ['list', 'secrets', '-A']), 'no');
  assert.equal(canI(scheduler, ['create', 'pods', '-n', 'default']), 'no');
  assert.equal(canI(manager, ['watch', 'secrets', '-A']), 'yes');
  assert.equal(canI(manager, ['create', 'pods', '-n', 'default']), 'no');
  const denied = as(scheduler, ['get', 'secrets', '-n', 'kube-system']);
  assert.equal(denied.code, 1);
  assert.equal(
    denied.stderr.trim(),
    'Error from server (Forbidden): secrets is forbidden: User "system:kube-scheduler" cannot list resource "secrets" in API group "" in the namespace "kube-system"',
  );
});

test('the controllers ServiceAccounts exist in kube-system, and a controller credential gets upstream 403 outside its role', async () => {
  const names = await eventually<string>(() => {
    const list = ok(['get', 'serviceaccounts', '-n', 'kube-system', '-o', 'name']);
    return /job-controller/.test(list) ? list : '';
  }, 'controller ServiceAccounts');
  for (const sa of [
    'replicaset-controller',
    'deployment-controller',
    'job-controller',
    'cronjob-controller',
    'generic-garbage-collector',
    'node-controller',
    'service-controller',
  ])
    assert.match(names, new RegExp(`^serviceaccount/${sa}$`, 'm'));

  // A certificate of the Job controller's identity, from the cluster CA as the server issues its own.
  const id = controllerIdentity('job');
  const { cert, key } = await issueCertificate(
    { cert: s.caCert, key: readFileSync(join(s.dataDir, 'pki', 'ca.key'), 'utf8') },
    { commonName: id.user, organizations: id.groups, usage: 'client' },
  );
  const kc = join(s.dataDir, 'job-controller.kubeconfig');
  writeKubeconfig(kc, s.url, s.caCert, { cert, key, user: 'job-controller' });
  const secrets = as(kc, ['get', 'secrets', '-n', 'default']);
  assert.equal(
    secrets.stderr.trim(),
    'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:kube-system:job-controller" cannot list resource "secrets" in API group "" in the namespace "default"',
  );
  assert.equal(as(kc, ['auth', 'can-i', 'create', 'pods', '-n', 'default']).stdout.trim(), 'yes');
  assert.equal(as(kc, ['auth', 'can-i', 'create', 'deployments.apps', '-n', 'default']).stdout.trim(), 'no');
});

test('a Deployment, a Service, a Job and a CronJob work with every component on its own identity', async () => {
  ok(['create', 'deployment', 'web', '--image=busybox', '--replicas=2']);
  ok(['expose', 'deployment', 'web', '--port=80']);
  apply(job('once'));
  ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  const pods = json(['get', 'pods', '-l', 'app=web']).items as Array<{ status: { phase: string }; spec: { nodeName: string } }>;
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.equal(p.status.phase, 'Running');
    assert.equal(p.spec.nodeName, 'ident-0');
  }
  await eventually(() => (json(['get', 'endpoints', 'web']).subsets?.[0]?.addresses?.length === 2 ? true : undefined), 'web endpoints filled');
  await eventually(
    () => (json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']).items[0]?.endpoints?.length === 2 ? true : undefined),
    'web EndpointSlice filled',
  );
  ok(['wait', '--for=condition=complete', 'job/once', '--timeout=60s']);
  // The CronJob's first Job, at the first minute boundary after the start.
  await eventually(
    () =>
      (json(['get', 'jobs']).items as Array<{ metadata: { ownerReferences?: Array<{ name: string }> } }>).some(
        (j) => j.metadata.ownerReferences?.[0]?.name === 'every-minute',
      ) || undefined,
    'the CronJob made its Job',
    90_000,
  );
  assert.ok(json(['get', 'cronjob', 'every-minute']).status?.lastScheduleTime, 'lastScheduleTime set by the CronJob controller');
});

type Rule = { resources?: string[] };

/**
 * Takes the rules `drop` picks out of a default ClusterRole, pinned as an admin would (the
 * server's reconciliation leaves a role marked autoupdate=false alone); returns how to put it back.
 * The component keeps its other rules (events: it still says why it cannot go on).
 */
function withoutRules(k: (args: string[]) => string, name: string, drop: (r: Rule) => boolean, scratch: string): () => void {
  const role = JSON.parse(k(['get', 'clusterrole', name, '-o', 'json']));
  const kept = (role.rules as Rule[]).filter((r) => !drop(r));
  assert.equal(kept.length, role.rules.length - 1, `${name}: exactly one rule taken`);
  k(['annotate', '--overwrite', 'clusterrole', name, 'rbac.authorization.kubernetes.io/autoupdate=false']);
  k(['patch', 'clusterrole', name, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/rules', value: kept }])]);
  return () => {
    writeFileSync(scratch, JSON.stringify({ ...role, metadata: { name, labels: role.metadata.labels, annotations: role.metadata.annotations } }));
    k(['replace', '-f', scratch]);
  };
}

/** The message of the first event of this reason about the object, once there is one. */
const firstEvent = (k: (args: string[]) => string, selector: string, what: string) =>
  eventually<string>(
    () => (JSON.parse(k(['get', 'events', '--field-selector', selector, '-o', 'json'])).items[0]?.message as string | undefined) ?? '',
    what,
    30_000,
  );

test('the Job controller acts as job-controller: without its pod rule it is refused, with it back it works', async () => {
  const restore = withoutRules(ok, 'system:controller:job-controller', (r) => !!r.resources?.includes('pods'), join(s.dataDir, 'job-role.json'));
  try {
    apply(job('blocked'));
    const refused = await firstEvent(ok, 'involvedObject.name=blocked,reason=FailedCreate', 'FailedCreate event of job blocked');
    assert.match(
      refused,
      /^Error creating: pods is forbidden: User "system:serviceaccount:kube-system:job-controller" cannot create resource "pods" in API group "" in the namespace "default"$/,
    );
    assert.equal(json(['get', 'pods', '-l', 'job-name=blocked']).items.length, 0);
  } finally {
    restore();
  }
  ok(['wait', '--for=condition=complete', 'job/blocked', '--timeout=90s']);
});

test('the embedded scheduler acts as system:kube-scheduler: without its binding rule the bind is refused, with it back the pod runs', async () => {
  const restore = withoutRules(ok, 'system:kube-scheduler', (r) => !!r.resources?.includes('pods/binding'), join(s.dataDir, 'scheduler-role.json'));
  try {
    ok(['run', 'unbound', '--image=busybox', '--restart=Never']);
    const refused = await firstEvent(ok, 'involvedObject.name=unbound,reason=FailedScheduling', 'FailedScheduling event of pod unbound');
    assert.match(refused, /User "system:kube-scheduler" cannot create resource "pods\/binding" in API group "" in the namespace "default"/);
    assert.equal(json(['get', 'pod', 'unbound']).spec.nodeName, undefined);
  } finally {
    restore();
  }
  ok(['wait', '--for=jsonpath={.status.phase}=Running', 'pod/unbound', '--timeout=90s']);
  assert.equal(json(['get', 'pod', 'unbound']).spec.nodeName, 'ident-0');
});

test('berth scheduler and controller-manager run apart on the kubeconfigs the server wrote, the controllers on their own certificates', async () => {
  const apart = await startServer({ args: ['--disable-scheduler', '--disable-controller-manager'] });
  const procs: ChildProcess[] = [];
  let out = '';
  const run = (args: string[]) => {
    const p = spawn(process.execPath, [BERTH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    procs.push(p);
  };
  try {
    const pki = join(apart.dataDir, 'pki');
    run(['scheduler', '--kubeconfig', join(apart.dataDir, 'scheduler.kubeconfig'), '--metrics-bind-address', '127.0.0.1:0']);
    run([
      'controller-manager',
      '--kubeconfig',
      join(apart.dataDir, 'controller-manager.kubeconfig'),
      '--cluster-signing-cert-file',
      join(pki, 'ca.crt'),
      '--cluster-signing-key-file',
      join(pki, 'ca.key'),
    ]);
    run(['sim', '--kubeconfig', apart.kubeconfig, '--nodes', '1', '--name-prefix', 'apart-']);
    const k = (args: string[]) => kubectlOk(apart, args);
    k(['create', 'deployment', 'apart', '--image=busybox', '--replicas=2']);
    k(['rollout', 'status', 'deployment/apart', '--timeout=60s']);
    const pods = JSON.parse(k(['get', 'pods', '-l', 'app=apart', '-o', 'json'])).items as Array<{ spec: { nodeName: string }; status: { phase: string } }>;
    assert.deepEqual(
      pods.map((p) => [p.spec.nodeName, p.status.phase]),
      [
        ['apart-0', 'Running'],
        ['apart-0', 'Running'],
      ],
    );
    // The controllers' ServiceAccounts were made by the standalone manager, as system:kube-controller-manager.
    assert.match(k(['get', 'serviceaccount', 'replicaset-controller', '-n', 'kube-system', '-o', 'name']), /serviceaccount\/replicaset-controller/);
    // The pods' creator was the ReplicaSet controller's own identity: the server names it in its
    // 403 once the role loses its pod rule.
    withoutRules(k, 'system:controller:replicaset-controller', (r) => !!r.resources?.includes('pods'), join(apart.dataDir, 'rs-role.json'));
    k(['scale', 'deployment', 'apart', '--replicas=3']);
    const refused = await firstEvent(k, 'reason=FailedCreate', `FailedCreate of the ReplicaSet:\n${out.slice(-2000)}`);
    assert.match(refused, /User "system:serviceaccount:kube-system:replicaset-controller" cannot create resource "pods"/);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await apart.stop();
    apart.cleanup();
  }
});
