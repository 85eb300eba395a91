// `berth sim` against a real server, seen through the real kubectl: simulated nodes register
// Ready in their zones with podCIDRs, keep their Leases renewed, and run pods the server's
// scheduler binds to them through a kubelet's lifecycle (init containers, sidecars, readiness
// gates, completion, crash loops, deadlines, deletion). The simulator runs in its own process
// (runSimCommand, as `berth sim` would), so kubectl calls that wait never block it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import YAML from 'yaml';
import { RestClient, resources } from '../../src/client/index.js';
import { cidrContains, parseCidr, parseIp, startSimulator } from '../../src/sim/index.js';
import { simOptionsFromFlags, type SimFlags } from '../../src/cli/sim.js';
import { request as httpsRequest } from 'node:https';
import { ROOT, api, eventually, kubectl, kubectlBackground, kubectlPath, requireFile, startServer, kubectlOk, type RunningServer } from './harness.js';

let s: RunningServer;
let sim: ChildProcess;
let simOutput = '';
const simExited = () => new Promise<number | null>((r) => (sim.exitCode !== null ? r(sim.exitCode) : sim.once('exit', (c) => r(c))));

const ok = (args: string[], input?: string) => kubectlOk(s, args, { input });
const json = (args: string[]) => JSON.parse(ok([...args, '-o', 'json']));
const apply = (...objs: unknown[]) => ok(['apply', '-f', '-'], objs.map((o) => YAML.stringify(o)).join('---\n'));
const podRow = (name: string) => ok(['get', 'pod', name, '--no-headers', '-o', 'wide']);

function pod(name: string, spec: Record<string, unknown> = {}, annotations: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
  };
}

/** Runs `berth sim` (its run function) in a child process and waits until its nodes are registered. */
function startSim(flags: SimFlags): Promise<void> {
  const script = `import(${JSON.stringify(`${ROOT}/src/cli/sim.ts`)}).then((m) => m.runSimCommand(${JSON.stringify(flags)})).catch((e) => { console.error(e); process.exit(1); })`;
  sim = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  sim.stdout!.on('data', (d) => (simOutput += d));
  sim.stderr!.on('data', (d) => (simOutput += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sim not registered in time:\n${simOutput}`)), 60_000);
    const check = () => {
      if (/nodes registered in/.test(simOutput)) {
        clearTimeout(timer);
        resolve();
      }
    };
    sim.stderr!.on('data', check);
    void simExited().then((code) => {
      clearTimeout(timer);
      reject(new Error(`sim exited with ${code}:\n${simOutput}`));
    });
  });
}

before(async () => {
  requireFile(undefined, kubectlPath('1.32'), 'kubectl 1.32');
  s = await startServer();
  // A second per container start (and per init container run); crash-loop back-off halved (5 s, 10 s...).
  await startSim({
    kubeconfig: s.kubeconfig,
    nodes: '3',
    zones: 'us-east-1a,us-east-1b',
    startDelay: '1000',
    podCidr: '10.244.0.0/16',
    crashBackoffScale: '0.5',
  });
});
after(async () => {
  if (sim && sim.exitCode === null) {
    sim.kill('SIGKILL');
    await simExited();
  }
  await s?.stop();
  s?.cleanup();
});

test('the flags of berth sim are checked and turned into options', () => {
  const o = simOptionsFromFlags({ nodes: '5000', zones: '3', startDelay: '2s' });
  assert.equal(o.nodes, 5000);
  assert.deepEqual(o.zones, ['sim-region-a', 'sim-region-b', 'sim-region-c']);
  assert.equal(o.region, 'sim-region');
  assert.equal(o.startDelayMs, 2000);
  assert.equal(o.podCidr, '10.0.0.0/8', 'a /16 holds 256 nodes: a larger simulation gets a larger default range');
  assert.equal(simOptionsFromFlags({ nodes: '10' }).podCidr, '10.244.0.0/16');
  assert.throws(() => simOptionsFromFlags({ nodes: '0' }), /--nodes must be a positive whole number/);
  assert.throws(() => simOptionsFromFlags({ nodes: '3', memory: '12 GB' }), /--memory "12 GB" is not a quantity/);
  assert.throws(() => simOptionsFromFlags({ nodes: '3', podCidr: '10.244.1.0/15' }), /host bits set/);
  assert.throws(
    () => simOptionsFromFlags({ nodes: '300', podCidr: '10.244.0.0/16' }),
    /--pod-cidr 10\.244\.0\.0\/16 has room for 256 nodes \(a \/24 each\), not 300/,
  );
  assert.throws(() => simOptionsFromFlags({ nodes: '3', startDelay: 'soon' }), /--start-delay/);
});

test('kubectl get nodes shows the simulated nodes Ready in their zones, each with its own podCIDR', () => {
  const table = ok(['get', 'nodes', '-L', 'topology.kubernetes.io/zone,topology.kubernetes.io/region']);
  assert.match(table, /sim-0\s+Ready\s+<none>\s+\S+\s+v1\.32\.0\S*\s+us-east-1a\s+us-east-1/);
  assert.match(table, /sim-1\s+Ready\s+<none>\s+\S+\s+v1\.32\.0\S*\s+us-east-1b\s+us-east-1/);
  assert.match(table, /sim-2\s+Ready\s+<none>\s+\S+\s+v1\.32\.0\S*\s+us-east-1a\s+us-east-1/);
  const nodes = json(['get', 'nodes', '-l', 'node.berth.dev/simulated=true']).items;
  assert.equal(nodes.length, 3);
  const cidrs = nodes.map((n: any) => n.spec.podCIDR);
  assert.equal(new Set(cidrs).size, 3, `distinct ranges: ${cidrs}`);
  for (const n of nodes) {
    assert.match(n.spec.podCIDR, /^10\.244\.\d+\.0\/24$/);
    assert.deepEqual(n.spec.podCIDRs, [n.spec.podCIDR]);
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], n.metadata.name);
    assert.equal(n.metadata.labels['kubernetes.io/os'], 'linux');
    assert.equal(n.metadata.labels['kubernetes.io/arch'], 'amd64');
    assert.deepEqual(n.status.capacity, { cpu: '32', 'ephemeral-storage': '100Gi', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '256Gi', pods: '110' });
    assert.deepEqual(
      n.status.conditions.map((c: any) => `${c.type}=${c.status}`),
      ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True'],
    );
    assert.equal(n.status.nodeInfo.operatingSystem, 'linux');
  }
  assert.match(ok(['get', 'nodes', '-o', 'wide']), /sim-0\s+Ready\s+\S+\s+\S+\s+\S+\s+127\.0\.0\.1\s+<none>\s+Berth simulated node\s+\S+\s+sim:\/\/1\.0\.0/);
});

test("every simulated node advertises the simulator's own kubelet endpoint on loopback, never an address nobody owns", async () => {
  const nodes = json(['get', 'nodes', '-l', 'node.berth.dev/simulated=true']).items;
  const ports = new Set<number>();
  for (const n of nodes) {
    assert.deepEqual(n.status.addresses, [
      { type: 'InternalIP', address: '127.0.0.1' },
      { type: 'Hostname', address: n.metadata.name },
    ]);
    ports.add(n.status.daemonEndpoints.kubeletEndpoint.Port);
  }
  assert.equal(ports.size, 1, `one listener for all nodes: ${[...ports]}`);
  const [port] = ports;
  assert.ok(port! > 0 && port !== 10250, `a free port of the simulator's, not a kubelet's: ${port}`);
  // The simulator itself answers there (no token needed for its health only).
  const health = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(health, '200 ok');
});

test('each node has its Lease in kube-node-lease, and the Leases are renewed', async () => {
  const first = json(['get', 'leases', '-n', 'kube-node-lease']).items;
  const byName = new Map<string, any>(first.map((l: any) => [l.metadata.name, l]));
  const nodes = json(['get', 'nodes']).items;
  for (const name of ['sim-0', 'sim-1', 'sim-2']) {
    const l = byName.get(name);
    assert.ok(l, `lease ${name}`);
    assert.equal(l.spec.holderIdentity, name);
    assert.equal(l.spec.leaseDurationSeconds, 40);
    assert.match(l.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const node = nodes.find((n: any) => n.metadata.name === name);
    assert.deepEqual(l.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }]);
  }
  // Renewed every 10 s: within 15 s each renewTime has moved on.
  await eventually(
    () => {
      const now = json(['get', 'leases', '-n', 'kube-node-lease']).items;
      return ['sim-0', 'sim-1', 'sim-2'].every((name) => {
        const l = now.find((x: any) => x.metadata.name === name);
        return Date.parse(l.spec.renewTime) > Date.parse(byName.get(name).spec.renewTime);
      });
    },
    'every lease renewed',
    15_000,
  );
});

test("a pod the scheduler binds to a simulated node runs: Ready 1/1 with an address from its node's podCIDR", async () => {
  apply(pod('web'));
  await eventually(() => /^web\s+1\/1\s+Running\s+0\s/.test(podRow('web')), 'web 1/1 Running', 20_000);
  const p = json(['get', 'pod', 'web']);
  const node = json(['get', 'node', p.spec.nodeName]);
  assert.ok(cidrContains(parseCidr(node.spec.podCIDR), parseIp(p.status.podIP)!), `${p.status.podIP} in ${node.spec.podCIDR}`);
  assert.deepEqual(p.status.podIPs, [{ ip: p.status.podIP }]);
  const internalIP = node.status.addresses.find((a: any) => a.type === 'InternalIP').address;
  assert.equal(p.status.hostIP, internalIP);
  assert.deepEqual(p.status.hostIPs, [{ ip: internalIP }]);
  assert.equal(p.status.phase, 'Running');
  assert.ok(p.status.startTime);
  assert.equal(p.status.qosClass, 'BestEffort');
  assert.deepEqual(
    p.status.conditions.map((c: any) => `${c.type}=${c.status}`),
    // The scheduler's condition first, then the kubelet's, as upstream's status manager merges them (and the agent's).
    ['PodScheduled=True', 'PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True'],
  );
  const cs = p.status.containerStatuses[0];
  assert.equal(cs.name, 'app');
  assert.equal(cs.image, 'docker.io/library/nginx:latest');
  assert.match(cs.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
  assert.match(cs.containerID, /^sim:\/\/[0-9a-f]{64}$/);
  assert.deepEqual([cs.ready, cs.started, cs.restartCount], [true, true, 0]);
  assert.ok(cs.state.running.startedAt);
  assert.match(ok(['get', 'pod', 'web', '-o', 'wide']), new RegExp(`web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${p.status.podIP.replace(/\./g, '\\.')}\\s+sim-\\d`));
});

test("a hostNetwork pod has its node's address", async () => {
  apply(pod('hostnet', { hostNetwork: true }));
  await eventually(() => json(['get', 'pod', 'hostnet']).status?.phase === 'Running', 'hostnet Running', 20_000);
  const st = json(['get', 'pod', 'hostnet']).status;
  assert.equal(st.podIP, '127.0.0.1');
  assert.equal(st.podIP, st.hostIP);
});

test('kubectl logs on a simulated pod prints what its container "printed": its start, with image, command and node', async () => {
  const p = json(['get', 'pod', 'web']);
  const started = p.status.containerStatuses[0].state.running.startedAt;
  const line = `[berth sim] container app started on simulated node ${p.spec.nodeName}: image nginx, command (image entrypoint) (nothing really runs)\n`;
  assert.equal(ok(['logs', 'web']), line);
  assert.equal(ok(['logs', 'web', '--timestamps']), `${started.replace('Z', '.000000000Z')} ${line}`);
  assert.equal(ok(['logs', 'web', '--limit-bytes=11']), '[berth sim]');
  assert.equal(ok(['logs', 'web', '--tail=0']), '');
  const r = kubectl(s, ['logs', 'web', '--previous']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /previous terminated container "app" in pod "web" not found/);
  // kubectl checks the container name itself; a client that doesn't gets the API server's 400, as
  // upstream's pod LogLocation answers (the simulator is never asked).
  const unknown = await api(s, 'GET', '/api/v1/namespaces/default/pods/web/log?container=nope');
  assert.equal(unknown.status, 400, unknown.text);
  assert.deepEqual([unknown.json.kind, unknown.json.reason, unknown.json.message], ['Status', 'BadRequest', 'container nope is not valid for pod web']);
});

test('kubectl logs -f follows a simulated container until it exits', async () => {
  apply({
    ...pod(
      'follow',
      { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo hello; sleep 4'] }] },
      { 'sim.berth.dev/exit-after': '4s' },
    ),
  });
  await eventually(() => json(['get', 'pod', 'follow']).status?.phase === 'Running', 'follow Running', 20_000);
  const k = kubectlBackground(s, ['logs', '-f', '--timestamps', 'follow']);
  let firstLineAt = 0;
  k.proc.stdout.on('data', () => (firstLineAt ||= Date.now()));
  const code = await Promise.race([k.done, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
  if (code === 'timeout') k.proc.kill();
  const endedAt = Date.now();
  assert.equal(code, 0, `kubectl logs -f: ${k.stderr()}`);
  const lines = k.stdout().trimEnd().split('\n');
  assert.equal(lines.length, 2, k.stdout());
  assert.match(
    lines[0]!,
    /^\S+Z \[berth sim\] container app started on simulated node sim-\d: image busybox, command sh -c "echo hello; sleep 4" \(nothing really runs\)$/,
  );
  assert.match(lines[1]!, /^\S+Z \[berth sim\] container app exited with code 0 \(Completed\)$/);
  assert.equal(
    Date.parse(lines[1]!.split(' ')[0]!) - Date.parse(lines[0]!.split(' ')[0]!),
    4000,
    'the exit 4 s after the start, at the times the status reports',
  );
  assert.ok(endedAt - firstLineAt >= 500, `kubectl waited for the exit line (${endedAt - firstLineAt} ms after the first)`);
  assert.equal(json(['get', 'pod', 'follow']).status.phase, 'Succeeded');
});

test('kubectl exec on a simulated pod fails with a clear error naming the simulated node', () => {
  const node = json(['get', 'pod', 'web']).spec.nodeName;
  const r = kubectl(s, ['exec', 'web', '--', 'true'], { timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`cannot exec container app of pod web: it runs on simulated node ${node}, where no container really runs`));
  assert.equal(r.stdout, '');
});

test('kubectl port-forward and pods/proxy to a simulated pod fail with a clear error naming the simulated node', () => {
  const node = json(['get', 'pod', 'web']).spec.nodeName;
  const pf = kubectl(s, ['port-forward', 'pod/web', '0:80'], { timeoutMs: 30_000 });
  assert.notEqual(pf.code, 0);
  assert.match(pf.stderr, new RegExp(`cannot port-forward pod web: it runs on simulated node ${node}, where no container really runs`));
  const proxy = kubectl(s, ['get', '--raw', '/api/v1/namespaces/default/pods/web:80/proxy/']);
  assert.notEqual(proxy.code, 0);
  assert.match(proxy.stderr, new RegExp(`cannot proxy to pod web: it runs on simulated node ${node}, where no container really runs`));
});

test("a simulated node naming an address that is not loopback (an old simulator's) is never dialed", async () => {
  const created = await api(s, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'stale-sim', labels: { 'node.berth.dev/simulated': 'true' } },
  });
  assert.equal(created.status, 201, created.text);
  try {
    const st = await api(
      s,
      'PATCH',
      '/api/v1/nodes/stale-sim/status',
      { status: { addresses: [{ type: 'InternalIP', address: '172.16.0.9' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(st.status, 200, st.text);
    apply(pod('stale', { nodeName: 'stale-sim' }));
    const r = kubectl(s, ['logs', 'stale'], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /node stale-sim is simulated and names 172\.16\.0\.9, not its simulator's loopback endpoint/);
  } finally {
    kubectl(s, ['delete', 'pod', 'stale', '--grace-period=0', '--force']);
    await api(s, 'DELETE', '/api/v1/nodes/stale-sim');
  }
});

test('a pod with a readiness gate is not Ready until the gate condition is patched True', async () => {
  apply(pod('gated', { readinessGates: [{ conditionType: 'example.com/lb-ready' }] }));
  await eventually(() => json(['get', 'pod', 'gated']).status?.containerStatuses?.[0]?.ready === true, 'gated container ready', 20_000);
  await new Promise((r) => setTimeout(r, 500));
  let p = json(['get', 'pod', 'gated']);
  const ready = p.status.conditions.find((c: any) => c.type === 'Ready');
  assert.deepEqual(
    [ready.status, ready.reason, ready.message],
    ['False', 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate "example.com/lb-ready" does not exist.'],
  );
  assert.match(podRow('gated'), /^gated\s+1\/1\s+Running\s+0\s+\S+\s+\S+\s+sim-\d\s+<none>\s+0\/1\s*$/);
  ok(['patch', 'pod', 'gated', '--subresource=status', '-p', JSON.stringify({ status: { conditions: [{ type: 'example.com/lb-ready', status: 'True' }] } })]);
  await eventually(() => json(['get', 'pod', 'gated']).status.conditions.find((c: any) => c.type === 'Ready').status === 'True', 'gated Ready', 10_000);
  assert.match(podRow('gated'), /^gated\s+1\/1\s+Running\s+0\s+\S+\s+\S+\s+sim-\d\s+<none>\s+1\/1\s*$/);
  p = json(['get', 'pod', 'gated']);
  assert.equal(p.status.conditions.find((c: any) => c.type === 'example.com/lb-ready').status, 'True', 'the gate condition is kept');
});

test('a readiness probe failing by annotation: the pod runs 1/2, never Ready, and kubectl wait for Ready times out', async () => {
  const probe = { exec: { command: ['true'] } };
  apply(
    pod(
      'unready',
      {
        initContainers: [{ name: 'proxy', image: 'envoyproxy/envoy:v1.31', restartPolicy: 'Always', readinessProbe: probe }],
        containers: [{ name: 'app', image: 'nginx', readinessProbe: probe }],
      },
      { 'sim.berth.dev/readiness-fails': 'app' },
    ),
  );
  await eventually(() => /^unready\s+1\/2\s+Running\s+0\s/.test(podRow('unready')), 'unready 1/2 Running', 20_000);
  const p = json(['get', 'pod', 'unready']);
  const ready = p.status.conditions.find((c: any) => c.type === 'Ready');
  assert.deepEqual([ready.status, ready.reason, ready.message], ['False', 'ContainersNotReady', 'containers with unready status: [app]']);
  assert.deepEqual([p.status.initContainerStatuses[0].ready, p.status.containerStatuses[0].ready, p.status.containerStatuses[0].started], [true, false, true]);
  const wait = kubectl(s, ['wait', 'pod/unready', '--for=condition=Ready', '--timeout=3s']);
  assert.notEqual(wait.code, 0, 'never Ready');
  assert.match(wait.stderr, /timed out waiting for the condition/);
});

test('init containers run first: Init:0/1, then Running; a native sidecar stays running beside the app', async () => {
  apply(pod('init', { initContainers: [{ name: 'setup', image: 'busybox' }] }));
  await eventually(() => /^init\s+0\/1\s+Init:0\/1\s/.test(podRow('init')), 'Init:0/1', 10_000);
  await eventually(() => /^init\s+1\/1\s+Running\s+0\s/.test(podRow('init')), 'init Running', 15_000);
  const p = json(['get', 'pod', 'init']);
  const setup = p.status.initContainerStatuses[0];
  assert.equal(setup.state.terminated.reason, 'Completed');
  assert.equal(setup.state.terminated.exitCode, 0);
  assert.ok(
    Date.parse(setup.state.terminated.finishedAt) <= Date.parse(p.status.containerStatuses[0].state.running.startedAt),
    'the app started after the init container finished',
  );

  apply(pod('sidecar', { initContainers: [{ name: 'proxy', image: 'envoyproxy/envoy:v1.31', restartPolicy: 'Always' }] }));
  await eventually(() => /^sidecar\s+2\/2\s+Running\s+0\s/.test(podRow('sidecar')), 'sidecar 2/2 Running', 15_000);
  const sc = json(['get', 'pod', 'sidecar']).status.initContainerStatuses[0];
  assert.ok(sc.state.running, 'the sidecar keeps running');
  assert.equal(sc.image, 'docker.io/envoyproxy/envoy:v1.31');
});

test('exit-after with restartPolicy Never ends Succeeded (Completed)', async () => {
  apply(pod('job', { restartPolicy: 'Never' }, { 'sim.berth.dev/exit-after': '2s' }));
  await eventually(() => json(['get', 'pod', 'job']).status?.phase === 'Succeeded', 'job Succeeded', 20_000);
  assert.match(podRow('job'), /^job\s+0\/1\s+Completed\s+0\s/);
  const t = json(['get', 'pod', 'job']).status.containerStatuses[0].state.terminated;
  assert.deepEqual([t.exitCode, t.reason], [0, 'Completed']);
  assert.equal(Date.parse(t.finishedAt) - Date.parse(t.startedAt), 2000);
});

test('exit code 1 with restartPolicy Always restarts the container, into CrashLoopBackOff', async () => {
  apply(pod('crash', {}, { 'sim.berth.dev/exit-after': '2s', 'sim.berth.dev/exit-code': '1' }));
  await eventually(() => /^crash\s+0\/1\s+CrashLoopBackOff\s+[1-9]\d* \(\S+ ago\)\s/.test(podRow('crash')), 'crash CrashLoopBackOff with restarts', 30_000);
  const p = json(['get', 'pod', 'crash']);
  const cs = p.status.containerStatuses[0];
  assert.ok(cs.restartCount >= 1);
  assert.equal(cs.lastState.terminated.exitCode, 1);
  assert.equal(cs.lastState.terminated.reason, 'Error');
  assert.match(cs.state.waiting.message, /^back-off \d+s restarting failed container=app pod=crash_default\(/);
  assert.equal(p.status.phase, 'Running');
  assert.equal(p.status.conditions.find((c: any) => c.type === 'Ready').status, 'False');
});

test('kubectl logs --previous on a crash-looping simulated pod shows the run that ended, with its exit code', () => {
  const p = json(['get', 'pod', 'crash']);
  const last = p.status.containerStatuses[0].lastState.terminated;
  const out = ok(['logs', 'crash', '--previous', '--timestamps']).trimEnd().split('\n');
  assert.equal(out.length, 2);
  assert.ok(out[0]!.startsWith(`${last.startedAt.replace('Z', '.000000000Z')} [berth sim] container app started on simulated node ${p.spec.nodeName}`), out[0]);
  assert.equal(out[1], `${last.finishedAt.replace('Z', '.000000000Z')} [berth sim] container app exited with code 1 (Error)`);
});

test('activeDeadlineSeconds passed: the pod fails with DeadlineExceeded', async () => {
  apply(pod('deadline', { activeDeadlineSeconds: 3 }));
  await eventually(() => json(['get', 'pod', 'deadline']).status?.phase === 'Failed', 'deadline Failed', 20_000);
  const st = json(['get', 'pod', 'deadline']).status;
  assert.equal(st.reason, 'DeadlineExceeded');
  assert.equal(st.message, 'Pod was active on the node longer than the specified deadline');
});

test('kubectl delete pod finishes quickly: the simulator stops the pod and confirms the deletion', () => {
  const before = json(['get', 'pod', 'web']);
  const t = Date.now();
  // The default grace period is 30 s; kubectl waits until the pod is gone.
  const out = ok(['delete', 'pod', 'web', '--timeout=20s']);
  const took = Date.now() - t;
  assert.match(out, /pod "web" deleted/);
  assert.ok(took < 5000, `delete took ${took} ms`);
  const r = kubectl(s, ['get', 'pod', 'web']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /NotFound|not found/);
  assert.ok(before.metadata.uid);
});

test('500 simulated nodes register within a few seconds', async () => {
  const client = RestClient.fromKubeconfig(s.kubeconfig, { maxSockets: 96 });
  const big = await startSimulator(client, {
    nodes: 500,
    namePrefix: 'scale-',
    zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    region: 'us-east-1',
    podCidr: '10.96.0.0/12',
  });
  try {
    assert.ok(big.registrationMs < 10_000, `500 nodes took ${big.registrationMs} ms`);
    const nodes = await client.listAll<any>(resources.nodes, { labelSelector: 'node.berth.dev/simulated=true' });
    const scale = nodes.items.filter((n) => n.metadata.name.startsWith('scale-'));
    assert.equal(scale.length, 500);
    assert.ok(scale.every((n) => n.status.conditions.find((c: any) => c.type === 'Ready').status === 'True'));
    assert.equal(new Set(scale.map((n) => n.spec.podCIDR)).size, 500);
    const leases = await client.listAll<any>({ ...resources.leases, namespace: 'kube-node-lease' });
    assert.equal(leases.items.filter((l) => l.metadata.name.startsWith('scale-')).length, 500);
  } finally {
    await big.stop();
    // Stopped nodes would still look Ready to the scheduler: remove them.
    await Promise.all(big.nodes.map((n) => client.delete({ ...resources.nodes, name: n.name })));
    client.close();
  }
});

test("simulated nodes holding ranges of the server's --cluster-cidr: the node IPAM controller hands a new Node none of them", async () => {
  const client = RestClient.fromKubeconfig(s.kubeconfig);
  // The server's default cluster range is 10.42.0.0/16: these nodes take its first three /24s themselves.
  const inside = await startSimulator(client, { nodes: 3, namePrefix: 'ipam-sim-', podCidr: '10.42.0.0/16' });
  try {
    const held = inside.nodes.map((n) => n.podCIDR).sort();
    assert.deepEqual(held, ['10.42.0.0/24', '10.42.1.0/24', '10.42.2.0/24']);
    await client.create(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ipam-plain' } } as any);
    const cidr = await eventually(
      async () => (await client.get<any>({ ...resources.nodes, name: 'ipam-plain' })).spec?.podCIDR as string | undefined,
      'the API-created node gets a range',
    );
    assert.ok(cidrContains(parseCidr('10.42.0.0/16'), parseIp(cidr!.split('/')[0]!)!), `${cidr} is in 10.42.0.0/16`);
    assert.ok(!held.includes(cidr!), `${cidr} is none of the simulated nodes' ${held.join(' ')}`);
    // The simulated nodes keep theirs; those outside the cluster range (10.244.x) were never touched.
    for (const n of inside.nodes) assert.equal((await client.get<any>({ ...resources.nodes, name: n.name })).spec.podCIDR, n.podCIDR);
    for (const n of json(['get', 'nodes', '-l', 'node.berth.dev/simulated=true']).items.filter((x: any) => x.metadata.name.startsWith('sim-'))) {
      assert.match(n.spec.podCIDR, /^10\.244\.\d+\.0\/24$/);
    }
  } finally {
    await inside.stop();
    await Promise.all([...inside.nodes.map((n) => n.name), 'ipam-plain'].map((name) => client.delete({ ...resources.nodes, name }).catch(() => undefined)));
    client.close();
  }
});

test('berth server without a container runtime: its one simulated node serves logs on loopback too', async () => {
  // As root the server would run the real agent: as nobody (uid 65534) it cannot, and falls back.
  const fb = await startServer({ agent: true, uid: process.getuid?.() === 0 ? 65534 : undefined });
  const k = (args: string[]) => kubectl(fb, args);
  try {
    // The warning comes once the simulated node is up, after the ready line.
    await eventually(() => /Started ONE SIMULATED node \(simulated-0\)/.test(fb.output()), 'the simulated node started', 20_000);
    const node = await eventually(() => {
      const r = k(['get', 'node', 'simulated-0', '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    }, 'node simulated-0 registered');
    assert.equal(node.status.addresses.find((a: any) => a.type === 'InternalIP').address, '127.0.0.1');
    assert.equal(node.metadata.labels['node.berth.dev/simulated'], 'true');
    assert.equal(k(['run', 'one', '--image=busybox', '--', 'sleep', '3600']).code, 0);
    await eventually(() => k(['get', 'pod', 'one', '-o', 'jsonpath={.status.phase}']).stdout === 'Running', 'one Running', 20_000);
    const logs = k(['logs', 'one']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(
      logs.stdout,
      '[berth sim] container one started on simulated node simulated-0: image busybox, command (image entrypoint) sleep 3600 (nothing really runs)\n',
    );
    const exec = k(['exec', 'one', '--', 'true']);
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, /it runs on simulated node simulated-0, where no container really runs/);
    assert.equal(await fb.stop(), 0, `a clean shutdown, the node's endpoint with it:\n${fb.output()}`);
  } finally {
    await fb.stop();
    fb.cleanup();
  }
});

test('SIGTERM while the server is still starting its node: a clean stop, exit 0, no error', async () => {
  // The ready line comes before the node (here the simulated stand-in) is up: stop right then.
  // (Whether the signal lands mid-start is a matter of timing; the assertion below checks it did.)
  const fb = await startServer({ agent: true, uid: process.getuid?.() === 0 ? 65534 : undefined });
  try {
    assert.doesNotMatch(fb.output(), /Started ONE SIMULATED node/, 'the node was still starting when the signal came');
    assert.equal(await fb.stop(), 0, fb.output());
    assert.doesNotMatch(fb.output(), /error|did not stop within|shutdown failed/i);
  } finally {
    await fb.stop();
    fb.cleanup();
  }
});

test('SIGTERM stops the simulator; its nodes stay registered, as a stopped kubelet leaves its Node', async () => {
  sim.kill('SIGTERM');
  assert.equal(await simExited(), 0, simOutput);
  assert.match(simOutput, /SIGTERM received/);
  const nodes = json(['get', 'nodes', '-l', 'node.berth.dev/simulated=true'])
    .items.map((n: any) => n.metadata.name)
    .sort();
  assert.deepEqual(nodes, ['sim-0', 'sim-1', 'sim-2']);
  const leases = json(['get', 'leases', '-n', 'kube-node-lease']).items.map((l: any) => l.metadata.name);
  for (const name of nodes) assert.ok(leases.includes(name), `lease ${name} left to expire`);
});
