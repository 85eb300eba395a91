// /metrics as Prometheus scrapes it: the API server's (authenticated; in --single-process with the
// embedded scheduler's metrics in the same registry), the scheduler process's of `berth server`
// and the standalone scheduler's. Counters must move by exactly what the test did, under
// upstream's names and labels.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, api, eventually, kubectl, kubectlOk, kubectlPath, requireFile, startServer, type RunningServer } from './harness.js';
import { parseExposition, value, type Sample } from './prometheus.js';

let s: RunningServer;

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  // One process: the scheduler's metrics are in the API server's registry (the default's
  // scheduler process serves its own: the last test).
  s = await startServer({ args: ['--single-process'] });
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

async function scrape(): Promise<{ samples: Sample[]; types: Map<string, string> }> {
  const r = await api(s, 'GET', '/metrics');
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(r.text);
}

function node(name: string) {
  const now = new Date().toISOString().slice(0, 19) + 'Z';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, pool: 'metrics' } },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
}

function pod(name: string, namespace: string, cpu: string, schedulerName = 'default-scheduler') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      schedulerName,
      nodeSelector: { pool: 'metrics' },
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }],
    },
  };
}

test('/metrics needs the token like any other path; without it 401; kubectl get --raw reads it', async () => {
  const r = await api(s, 'GET', '/metrics', undefined, { Authorization: 'Bearer wrong' });
  assert.equal(r.status, 401);
  assert.equal(r.json.reason, 'Unauthorized');
  // kubectl reads it with the kubeconfig's token.
  assert.match(kubectlOk(s, ['get', '--raw', '/metrics']), /^# TYPE apiserver_request_total counter$/m);
});

test('apiserver_request_total and _duration_seconds move by exactly the requests kubectl made, with upstream labels and buckets', async () => {
  kubectlOk(s, ['create', 'namespace', 'obs-req']);
  const listPods = { verb: 'LIST', group: '', version: 'v1', resource: 'pods', subresource: '', scope: 'namespace', component: 'apiserver', dry_run: '' };
  const before = (await scrape()).samples;
  const N = 3;
  for (let i = 0; i < N; i++) kubectlOk(s, ['get', 'pods', '-n', 'obs-req']);
  assert.equal(kubectl(s, ['get', 'pod', 'nosuch', '-n', 'obs-req']).code, 1);
  kubectlOk(s, ['create', 'configmap', 'c1', '-n', 'obs-req', '--dry-run=server', '--from-literal=a=b']);
  // Made-up resources and subresources are not label values (they would grow the metrics without bound).
  assert.equal((await api(s, 'GET', '/api/v1/namespaces/obs-req/made-up-things')).status, 404);
  assert.equal((await api(s, 'GET', '/api/v1/namespaces/obs-req/pods/x/made-up-sub')).status, 404);
  const { samples, types } = await scrape();
  assert.equal(samples.filter((x) => /made-up/.test(Object.values(x.labels).join(' '))).length, 0);

  assert.equal(types.get('apiserver_request_total'), 'counter');
  assert.equal(types.get('apiserver_request_duration_seconds'), 'histogram');
  const delta = (name: string, labels: Record<string, string>) => value(samples, name, labels) - value(before, name, labels);
  assert.equal(delta('apiserver_request_total', { ...listPods, code: '200' }), N, 'one LIST per kubectl get pods');
  assert.equal(delta('apiserver_request_duration_seconds_count', listPods), N);
  assert.equal(
    delta('apiserver_request_total', { verb: 'GET', resource: 'pods', scope: 'resource', code: '404' }),
    1,
    'the missing pod: a GET of one resource, 404',
  );
  assert.equal(
    delta('apiserver_request_total', { verb: 'POST', resource: 'configmaps', scope: 'namespace', dry_run: 'All', code: '201' }),
    1,
    'the dry run is labelled so',
  );

  // The histogram: upstream's buckets, cumulative, +Inf equal to the count.
  const buckets = samples.filter(
    (x) => x.name === 'apiserver_request_duration_seconds_bucket' && Object.entries(listPods).every(([k, v]) => x.labels[k] === v),
  );
  assert.deepEqual(
    buckets.map((b) => b.labels.le),
    ['0.005', '0.025', '0.05', '0.1', '0.2', '0.4', '0.6', '0.8', '1', '1.25', '1.5', '2', '3', '4', '5', '6', '8', '10', '15', '20', '30', '45', '60', '+Inf'],
  );
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
  assert.equal(buckets.at(-1)!.value, value(samples, 'apiserver_request_duration_seconds_count', listPods));

  // The embedded components' informers hold watches open.
  assert.ok(value(samples, 'apiserver_longrunning_requests', { verb: 'WATCH', resource: 'pods' }) >= 1, 'the scheduler watches pods');
  assert.ok(value(samples, 'apiserver_registered_watchers', { group: '', version: 'v1', kind: 'Pod' }) >= 1);
  // This scrape itself is a read-only request in flight.
  assert.equal(value(samples, 'apiserver_current_inflight_requests', { request_kind: 'readOnly' }), 1);
  assert.equal(value(samples, 'apiserver_current_inflight_requests', { request_kind: 'mutating' }), 0);
  assert.equal(value(samples, 'apiserver_storage_objects', { resource: 'namespaces' }), 5, 'default, kube-node-lease, kube-public, kube-system, obs-req');
});

test('scheduler metrics: attempts by result, e2e latency by attempts, pending pods by queue; store latency per resource', async () => {
  kubectlOk(s, ['create', 'namespace', 'obs-sched']);
  const before = (await scrape()).samples;
  for (const n of ['obs-n1', 'obs-n2']) kubectlOk(s, ['create', '-f', '-'], { input: JSON.stringify(node(n)) });
  for (const p of ['a', 'b', 'c']) kubectlOk(s, ['create', '-f', '-'], { input: JSON.stringify(pod(p, 'obs-sched', '1')) });
  kubectlOk(s, ['create', '-f', '-'], { input: JSON.stringify(pod('huge', 'obs-sched', '64')) });
  const profile = { profile: 'default-scheduler' };
  const after = (await eventually(async () => {
    const { samples } = await scrape();
    const scheduled =
      value(samples, 'scheduler_schedule_attempts_total', { ...profile, result: 'scheduled' }) -
      value(before, 'scheduler_schedule_attempts_total', { ...profile, result: 'scheduled' });
    const unschedulable =
      value(samples, 'scheduler_schedule_attempts_total', { ...profile, result: 'unschedulable' }) -
      value(before, 'scheduler_schedule_attempts_total', { ...profile, result: 'unschedulable' });
    return scheduled === 3 && unschedulable >= 1 ? samples : undefined;
  }, 'three pods scheduled and one attempt unschedulable'))!;

  const bound = JSON.parse(kubectlOk(s, ['get', 'pods', '-n', 'obs-sched', '-o', 'json'])).items.filter((p: any) => p.spec.nodeName);
  assert.equal(bound.length, 3);
  const delta = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
  assert.equal(delta('scheduler_schedule_attempts_total', { ...profile, result: 'error' }), 0);
  assert.equal(delta('scheduler_scheduling_attempt_duration_seconds_count', { ...profile, result: 'scheduled' }), 3);
  assert.equal(delta('scheduler_pod_scheduling_sli_duration_seconds_count', { attempts: '1' }), 3, 'each bound at its first attempt');
  assert.equal(value(after, 'scheduler_pending_pods', { queue: 'unschedulable' }), 1, 'the huge pod waits');
  assert.equal(value(after, 'scheduler_pending_pods', { queue: 'gated' }), 0);
  // Store calls, timed per operation and resource: four pods and two nodes created.
  assert.equal(delta('etcd_request_duration_seconds_count', { operation: 'create', type: 'pods' }), 4);
  assert.equal(delta('etcd_request_duration_seconds_count', { operation: 'create', type: 'nodes' }), 2);
  assert.ok(delta('etcd_request_duration_seconds_count', { operation: 'update', type: 'pods' }) >= 3, 'bindings and status updates');
  assert.equal(value(after, 'apiserver_storage_objects', { resource: 'pods' }), 4);
});

test('berth scheduler serves its metrics on --metrics-bind-address, plain HTTP on loopback', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-metrics-sched-'));
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nleaderElection:\n  resourceName: obs-scheduler\nprofiles:\n- schedulerName: obs-standalone\n',
  );
  const proc = spawn(process.execPath, [BERTH, 'scheduler', '--kubeconfig', s.kubeconfig, '--config', cfg, '--metrics-bind-address', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  try {
    const url = (await eventually(() => /serving metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out)?.[1], `the metrics address in the log:\n${out}`))!;
    kubectlOk(s, ['create', 'namespace', 'obs-alone']);
    kubectlOk(s, ['create', '-f', '-'], { input: JSON.stringify(pod('solo', 'obs-alone', '1', 'obs-standalone')) });
    const samples = (await eventually(async () => {
      const r = await fetch(url);
      assert.equal(r.status, 200);
      const { samples } = parseExposition(await r.text());
      return value(samples, 'scheduler_schedule_attempts_total', { profile: 'obs-standalone', result: 'scheduled' }) === 1 ? samples : undefined;
    }, `the standalone scheduler counted its pod:\n${out}`))!;
    // Its own registry: none of the API server's metrics.
    assert.equal(samples.filter((x) => x.name.startsWith('apiserver_')).length, 0);
    assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404);
    // Its log lines are klog's, with the component.
    assert.match(out, /^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ scheduler\] scheduler started \(profiles: obs-standalone\)$/m);
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test("berth server's scheduler process serves its own metrics at --scheduler-metrics-bind-address; the API server's /metrics has none of them", async () => {
  const split = await startServer({ args: ['--scheduler-metrics-bind-address', '127.0.0.1:0'] });
  try {
    const url = (await eventually(
      () => /scheduler\] serving metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(split.output())?.[1],
      "the scheduler process's metrics address in the server's log",
    ))!;
    kubectlOk(split, ['create', 'namespace', 'obs-split']);
    kubectlOk(split, ['create', '-f', '-'], { input: JSON.stringify(node('obs-split-n')) });
    kubectlOk(split, ['create', '-f', '-'], { input: JSON.stringify(pod('one', 'obs-split', '1')) });
    const samples = (await eventually(async () => {
      const r = await fetch(url);
      assert.equal(r.status, 200);
      const { samples } = parseExposition(await r.text());
      return value(samples, 'scheduler_schedule_attempts_total', { profile: 'default-scheduler', result: 'scheduled' }) === 1 ? samples : undefined;
    }, 'the scheduler process counted its pod'))!;
    assert.equal(value(samples, 'scheduler_pod_scheduling_sli_duration_seconds_count', { attempts: '1' }), 1);
    assert.equal(samples.filter((x) => x.name.startsWith('apiserver_')).length, 0, 'its own registry');
    const r = await api(split, 'GET', '/metrics');
    assert.equal(r.status, 200);
    const apiserver = parseExposition(r.text).samples;
    assert.ok(apiserver.some((x) => x.name === 'apiserver_request_total'));
    assert.equal(apiserver.filter((x) => x.name.startsWith('scheduler_')).length, 0, "the scheduler's are not in the API server's registry, as upstream's");
  } finally {
    await split.stop();
    split.cleanup();
  }
});
