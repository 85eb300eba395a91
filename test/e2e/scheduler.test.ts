// The scheduler inside `berth server` and standalone, seen through the real kubectl: pods land on
// the nodes upstream's default profile would pick, an unschedulable pod gets upstream's message,
// events show in describe, a cluster change requeues it, and preemption evicts the lowest victims.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { BERTH, eventually, kubectl, kubectlPath, requireFile, startServer, kubectlOk, type RunningServer } from './harness.js';

let s: RunningServer;
const k = (args: string[], input?: string) => kubectl(s, args, { input });
const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });

/** A node as an agent would register it: capacity, labels, Ready. */
function node(name: string, cpu: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } },
    spec: extra,
    status: {
      capacity: { cpu, memory: '8Gi', pods: '110' },
      allocatable: { cpu, memory: '8Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'ready',
          lastHeartbeatTime: new Date().toISOString().slice(0, 19) + 'Z',
          lastTransitionTime: new Date().toISOString().slice(0, 19) + 'Z',
        },
      ],
    },
  };
}

function pod(name: string, cpu: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }], ...spec },
  };
}

const apply = (...objs: unknown[]) => ok(['apply', '-f', '-'], objs.map((o) => YAML.stringify(o)).join('---\n'));
const podJson = (name: string, ns = 'default') => JSON.parse(ok(['get', 'pod', name, '-n', ns, '-o', 'json']));

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
});
after(async () => {
  await s?.stop();
  s?.cleanup();
});

test('pods are bound to fitting nodes, spread by LeastAllocated, with a Scheduled event', async () => {
  ok(['create', 'namespace', 'fit']);
  for (const n of ['fit-a', 'fit-b']) ok(['create', '-f', '-'], JSON.stringify(node(n, '4', { pool: 'fit' })));
  const pods = ['p1', 'p2'].map((n) => ({ ...pod(n, '1', { nodeSelector: { pool: 'fit' } }), metadata: { name: n, namespace: 'fit' } }));
  apply(...pods);
  await eventually(() => pods.every((p) => !!podJson(p.metadata.name, 'fit').spec.nodeName), 'both pods bound', 20_000);
  const nodes = pods.map((p) => podJson(p.metadata.name, 'fit').spec.nodeName).sort();
  // LeastAllocated (and BalancedAllocation) prefer the emptier node: one pod each.
  assert.deepEqual(nodes, ['fit-a', 'fit-b']);
  const p1 = podJson('p1', 'fit');
  assert.equal(p1.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
  await eventually(
    () => /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned fit\/p1 to fit-[ab]/.test(ok(['describe', 'pod', 'p1', '-n', 'fit'])),
    'Scheduled event in describe',
    10_000,
  );
  assert.match(ok(['get', 'pods', '-n', 'fit', '-o', 'wide']), /p1\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+fit-[ab]\s+<none>\s+<none>/);
});

test("an unschedulable pod gets upstream's message, then is scheduled when a node that fits appears", async () => {
  ok(['create', 'namespace', 'unsched']);
  // 2 nodes too small, 3 nodes with the wrong label: the upstream example message.
  // The small nodes could hold the pod but are busy with pods of the same priority: preemption
  // finds no victims there. (A node whose whole allocatable is too small is "not helpful".)
  for (const n of ['u-small-1', 'u-small-2']) {
    ok(['create', '-f', '-'], JSON.stringify(node(n, '3', { pool: 'unsched', disk: 'ssd' })));
    apply({ ...pod(`filler-${n}`, '2', { nodeSelector: { 'kubernetes.io/hostname': n } }), metadata: { name: `filler-${n}`, namespace: 'unsched' } });
  }
  await eventually(() => ['u-small-1', 'u-small-2'].every((n) => podJson(`filler-${n}`, 'unsched').spec.nodeName === n), 'fillers bound', 20_000);
  for (const n of ['u-other-1', 'u-other-2', 'u-other-3']) ok(['create', '-f', '-'], JSON.stringify(node(n, '8', { pool: 'unsched', disk: 'hdd' })));
  // Keep the other tests' nodes out of this pod's way with a required label and a taint-free selector.
  const big = {
    ...pod('big', '2', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] },
        },
      },
    }),
    metadata: { name: 'big', namespace: 'unsched' },
  };
  apply(big);
  let cond: any;
  await eventually(
    () => {
      cond = podJson('big', 'unsched').status?.conditions?.find((c: any) => c.type === 'PodScheduled');
      return cond?.status === 'False';
    },
    'PodScheduled=False',
    20_000,
  );
  assert.equal(cond.reason, 'Unschedulable');
  // Nodes of other tests (fit-a, fit-b) lack the disk label too.
  const total = JSON.parse(ok(['get', 'nodes', '-o', 'json'])).items.length;
  assert.equal(
    cond.message,
    `0/${total} nodes are available: 2 Insufficient cpu, ${total - 2} node(s) didn't match Pod's node affinity/selector. preemption: 0/${total} nodes are available: 2 No preemption victims found for incoming pod, ${total - 2} Preemption is not helpful for scheduling.`,
  );
  await eventually(
    () =>
      /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/\d+ nodes are available: 2 Insufficient cpu/.test(
        ok(['describe', 'pod', 'big', '-n', 'unsched']),
      ),
    'FailedScheduling in describe',
    10_000,
  );

  // A node that fits is added: the Node/Add event requeues the pod at once (no 5-minute flush).
  ok(['create', '-f', '-'], JSON.stringify(node('u-big', '4', { pool: 'unsched', disk: 'ssd' })));
  await eventually(() => podJson('big', 'unsched').spec.nodeName === 'u-big', 'big bound to u-big', 20_000);
});

test('taints, tolerations and cordon are honoured', async () => {
  ok(['create', 'namespace', 'taint']);
  ok(['create', '-f', '-'], JSON.stringify(node('t-tainted', '4', { pool: 'taint' }, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })));
  ok(['create', '-f', '-'], JSON.stringify(node('t-plain', '4', { pool: 'taint' })));
  ok(['cordon', 't-plain']);
  const plain = { ...pod('plain', '100m', { nodeSelector: { pool: 'taint' } }), metadata: { name: 'plain', namespace: 'taint' } };
  const tolerant = {
    ...pod('tolerant', '100m', { nodeSelector: { pool: 'taint' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }),
    metadata: { name: 'tolerant', namespace: 'taint' },
  };
  apply(plain, tolerant);
  await eventually(() => podJson('tolerant', 'taint').spec.nodeName === 't-tainted', 'tolerant pod on the tainted node', 20_000);
  await eventually(
    () =>
      /node\(s\) had untolerated taint \{dedicated: gpu\}/.test(
        podJson('plain', 'taint').status?.conditions?.find((c: any) => c.type === 'PodScheduled')?.message ?? '',
      ),
    'plain pod refused by the taint',
    20_000,
  );
  const msg = podJson('plain', 'taint').status.conditions.find((c: any) => c.type === 'PodScheduled').message;
  assert.match(msg, /1 node\(s\) were unschedulable/);
  ok(['uncordon', 't-plain']);
  await eventually(() => podJson('plain', 'taint').spec.nodeName === 't-plain', 'plain pod bound after uncordon', 20_000);
});

test('preemption: a high-priority pod evicts the lowest-priority victims and is nominated, then bound', async () => {
  ok(['create', 'namespace', 'prio']);
  apply(
    { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 },
    { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'mid' }, value: 500 },
  );
  ok(['create', '-f', '-'], JSON.stringify(node('pr-1', '2', { pool: 'prio' })));
  const sel = { nodeSelector: { pool: 'prio' } };
  const low = { ...pod('low', '1', sel), metadata: { name: 'low', namespace: 'prio' } };
  const mid = { ...pod('mid', '1', { ...sel, priorityClassName: 'mid' }), metadata: { name: 'mid', namespace: 'prio' } };
  apply(low, mid);
  await eventually(() => !!podJson('low', 'prio').spec.nodeName && !!podJson('mid', 'prio').spec.nodeName, 'low and mid bound', 20_000);
  const high = { ...pod('high', '1', { ...sel, priorityClassName: 'high' }), metadata: { name: 'high', namespace: 'prio' } };
  apply(high);
  // Only the lowest-priority pod has to go: one victim is enough and "mid" outranks "low".
  await eventually(() => k(['get', 'pod', 'low', '-n', 'prio']).code !== 0, 'low evicted', 20_000);
  await eventually(() => podJson('high', 'prio').spec.nodeName === 'pr-1', 'high bound to pr-1', 20_000);
  assert.equal(podJson('mid', 'prio').metadata.deletionTimestamp, undefined, 'mid survives');
  const events = ok(['get', 'events', '-n', 'prio', '--field-selector', 'involvedObject.name=low', '-o', 'json']);
  assert.ok(
    JSON.parse(events).items.some((e: any) => e.reason === 'Preempted' && /^Preempted by pod \S+ on node pr-1$/.test(e.message)),
    `Preempted event: ${events}`,
  );
});

test('berth scheduler standalone with a configuration file: its own profile name, MostAllocated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sched-'));
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
leaderElection:
  resourceName: packer-scheduler
profiles:
- schedulerName: packer
  plugins:
    score:
      disabled:
      - name: NodeResourcesBalancedAllocation
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
`,
  );
  const proc = spawn(process.execPath, [BERTH, 'scheduler', '--kubeconfig', s.kubeconfig, '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  try {
    ok(['create', 'namespace', 'pack']);
    for (const n of ['pk-1', 'pk-2']) ok(['create', '-f', '-'], JSON.stringify(node(n, '4', { pool: 'pack' })));
    const pods = ['a', 'b', 'c'].map((n) => ({
      ...pod(n, '1', { schedulerName: 'packer', nodeSelector: { pool: 'pack' } }),
      metadata: { name: n, namespace: 'pack' },
    }));
    // One at a time, so each placement sees the previous one.
    for (const p of pods) {
      apply(p);
      await eventually(() => !!podJson(p.metadata.name, 'pack').spec.nodeName, `${p.metadata.name} bound by the standalone scheduler:\n${out}`, 20_000);
    }
    const nodes = new Set(pods.map((p) => podJson(p.metadata.name, 'pack').spec.nodeName));
    assert.equal(nodes.size, 1, 'MostAllocated packs all three pods onto one node');
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad scheduler configuration is one clear error line and a non-zero exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sched-bad-'));
  const cfg = join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- plugins:\n    score:\n      enabled:\n      - name: NoSuchPlugin\n',
  );
  try {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [BERTH, 'scheduler', '--kubeconfig', s.kubeconfig, '--config', cfg], { encoding: 'utf8', timeout: 30_000 });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^berth: error: .*plugin "NoSuchPlugin" does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
