// The node agent on a real containerd it manages itself: a server with --no-agent, the agent in
// a process of its own (test/e2e/agent-runner.ts) with containerd, CNI bridge, cgroups and
// images built from the host's busybox-static, all under a temp dir and names of this test's
// own. Needs root, containerd, runc, the CNI plugins and busybox-static (CI installs them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import {
  CriRuntime,
  allocatedIps,
  cgroupMounts,
  containerdLayout,
  findRuntimeBinaries,
  findStaticBusybox,
  busyboxLayer,
  ociArchive,
} from '../../src/runtime/index.js';
import { importImageFile } from '../../src/cli/agent.js';
import { IN_CI, ROOT, api, eventually, kubectl, startServer, type RunningServer } from './harness.js';
import {
  BUSYBOX,
  cleanUpHost,
  recordHostState,
  removeLeftoverPods,
  reserveTestSubnet,
  serverCidrArgs,
  spawnAgentRunner,
  stopAgentRunner,
  type AgentRunner,
  type HostState,
} from './agent-fixture.js';

/** eventually() for a value: resolves with the first one fn gives that isn't undefined. */
async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs?: number): Promise<T> {
  return (await eventually(fn, what, timeoutMs)) as T;
}

async function missingPrerequisite(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'the node agent needs Linux';
  if (process.getuid?.() !== 0) return 'the node agent test needs root (containerd, mounts, network namespaces)';
  try {
    findRuntimeBinaries();
  } catch (e) {
    return (e as Error).message;
  }
  if (!(await findStaticBusybox())) return 'busybox-static is not installed (apt-get install busybox-static)';
  return undefined;
}

const missing = await missingPrerequisite();
if (missing && IN_CI) throw new Error(`${missing} (CI must install it)`);
if (missing) process.stderr.write(`skipping the node agent e2e test: ${missing}\n`);

const hex = randomBytes(3).toString('hex');
const NODE = 'e2e-node';
const BRIDGE = `bt${hex}`;
const SUBNET = reserveTestSubnet();
const CIDR = SUBNET.cidr;
const CGROUP_ROOT = `/berth-e2e-${hex}`;
type Runner = AgentRunner;

function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/') as [string, string];
  const n = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const mask = 2 ** 32 - 2 ** (32 - Number(bits));
  return (n(ip) & mask) >>> 0 === (n(net) & mask) >>> 0;
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('node agent on containerd', { skip: missing ?? false }, () => {
  let server: RunningServer;
  let dir: string;
  let runner: Runner | undefined;
  let rt: CriRuntime;
  let host: HostState | undefined;

  async function startRunner(): Promise<Runner> {
    const opts = {
      url: server.url,
      caCert: server.caCert,
      token: server.token,
      dataDir: agentDir(),
      nodeName: NODE,
      nodeIP: '127.0.0.1',
      listen: { host: '127.0.0.1', port: 0 },
      bridge: BRIDGE,
      ipMasq: false,
      cgroupRoot: CGROUP_ROOT,
    };
    return spawnAgentRunner(opts);
  }

  const stopRunner = stopAgentRunner;

  /** The agent's dir, as `berth server --data-dir DIR` places it. */
  const agentDir = () => join(dir, 'agent');
  const layout = () => containerdLayout(join(agentDir(), 'containerd'));

  const getPod = (name: string): Pod => JSON.parse(kubectl(server, ['get', 'pod', name, '-o', 'json']).stdout) as Pod;

  /** The client's log through the API server when it proxies pods/log, else straight from the agent endpoint. */
  async function podLog(name: string, container: string, extra = ''): Promise<string> {
    const r = kubectl(server, ['logs', name, '-c', container, ...(extra ? [extra] : [])]);
    if (r.code === 0) return r.stdout;
    const { request: httpsRequest } = await import('node:https');
    const q = extra === '--previous' ? '?previous=1' : '';
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: runner!.port,
          path: `/containerLogs/default/${name}/${container}${q}`,
          rejectUnauthorized: false,
          headers: { Authorization: `Bearer ${server.token}` },
        },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`agent endpoint: ${res.statusCode} ${body}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  before(async () => {
    host = recordHostState();
    // The node's range comes from the control plane, out of this test's subnet only.
    server = await startServer({ args: serverCidrArgs(CIDR) });
    // Short: containerd's socket path must stay under 108 bytes.
    dir = mkdtempSync(join(tmpdir(), 'berth-ag-'));
    runner = await startRunner();
    rt = new CriRuntime({ socket: layout().socket });
  });

  after(async () => {
    rt?.close();
    const code = await stopRunner(runner).catch(() => null);
    // The agent didn't clean up after itself: remove what it left.
    if (dir && code !== 0) await removeLeftoverPods(join(agentDir(), 'containerd'));
    if (host) cleanUpHost(host, { dir, bridge: BRIDGE, subnet: SUBNET, cgroupRoot: CGROUP_ROOT });
    if (runner && process.env.BERTH_E2E_VERBOSE) process.stderr.write(runner.output());
    await server?.stop();
    server?.cleanup();
  });

  test('registers a Ready node with the machine capacity, runtime info and a lease', async () => {
    const node = await waitFor(() => {
      const n = JSON.parse(kubectl(server, ['get', 'node', NODE, '-o', 'json']).stdout) as Node;
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    }, 'node Ready');
    const s = node.status!;
    assert.equal(s.capacity!.cpu, String(availableParallelism()));
    assert.equal(s.capacity!.pods, '110');
    assert.match(s.capacity!.memory!, /^\d+Ki$/);
    assert.ok(Number(s.capacity!.memory!.slice(0, -2)) > 100 * 1024, 'memory capacity is the machine memory');
    assert.match(s.capacity!['ephemeral-storage']!, /^\d+Ki$/);
    assert.ok(s.allocatable!.memory, 'allocatable reported');
    for (const t of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) assert.equal(s.conditions!.find((c) => c.type === t)?.status, 'False', t);
    assert.match(s.nodeInfo!.containerRuntimeVersion, /^containerd:\/\//);
    assert.equal(s.nodeInfo!.kernelVersion, release());
    assert.equal(s.nodeInfo!.operatingSystem, 'linux');
    assert.deepEqual(s.addresses!.find((a) => a.type === 'InternalIP')?.address, '127.0.0.1');
    assert.equal(s.daemonEndpoints!.kubeletEndpoint!.Port, runner!.port);
    // The agent was given no range: the control plane's node IPAM assigned this one.
    assert.equal(node.spec!.podCIDR, CIDR);
    assert.match(kubectl(server, ['get', 'nodes']).stdout, new RegExp(`${NODE}\\s+Ready`));
    const lease = await api(server, 'GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`);
    assert.equal(lease.status, 200);
    assert.equal(lease.json.spec.holderIdentity, NODE);
    assert.ok(lease.json.spec.renewTime);
    assert.equal(lease.json.metadata.ownerReferences?.[0]?.uid, node.metadata!.uid);
  });

  test('a two-container pod shares localhost, gets an IP in the podCIDR, and its limits reach the cgroups', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'two', labels: { app: 'two' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'web',
            image: BUSYBOX,
            command: ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www'],
            resources: { limits: { cpu: '500m', memory: '64Mi' } },
          },
          {
            name: 'client',
            image: BUSYBOX,
            env: [
              { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'GREETING', value: 'hi' },
              { name: 'MSG', value: '$(GREETING) from $(MY_POD)' },
            ],
            command: ['sh', '-c', 'echo "$MSG"; until wget -q -O - http://localhost:8080/; do sleep 0.2; done; exec sleep 3600'],
          },
        ],
      },
    };
    assert.equal(kubectl(server, ['apply', '-f', '-'], { input: JSON.stringify(manifest) }).code, 0);
    const pod = await waitFor(() => {
      const p = getPod('two');
      return p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready) ? p : undefined;
    }, 'pod two Running and ready');
    const ip = pod.status!.podIP!;
    assert.ok(inCidr(ip, CIDR), `${ip} is in ${CIDR}`);
    assert.equal(pod.status!.hostIP, '127.0.0.1');
    assert.ok(pod.status!.startTime);
    for (const t of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled']) {
      assert.equal(pod.status!.conditions!.find((c) => c.type === t)?.status, 'True', t);
    }
    for (const cs of pod.status!.containerStatuses!) {
      assert.match(cs.containerID!, /^containerd:\/\/[0-9a-f]{64}$/);
      assert.match(cs.imageID, /sha256:[0-9a-f]{64}/);
      assert.equal(cs.image, BUSYBOX);
      assert.equal(cs.restartCount, 0);
      assert.equal(cs.started, true);
      assert.ok(cs.state?.running?.startedAt);
    }
    const wide = kubectl(server, ['get', 'pods', '-o', 'wide']).stdout;
    assert.match(wide, new RegExp(`two\\s+2/2\\s+Running\\s+0\\s+\\S+\\s+${ip.replace(/\./g, '\\.')}\\s+${NODE}`));

    // The client reached the web container over localhost; $(VAR) references were expanded.
    const log = await waitFor(async () => {
      const l = await podLog('two', 'client');
      return l.includes('hello-from-web') ? l : undefined;
    }, 'client log shows the page');
    assert.match(log, /^hi from two\n/);
    // The pod IP answers from the host.
    assert.equal((await httpGet(`http://${ip}:8080/`)).trim(), 'hello-from-web');

    // The limits are in the container's cgroup (cgroup v1 here, v2 elsewhere).
    const web = pod.status!.containerStatuses!.find((c) => c.name === 'web')!.containerID!.slice('containerd://'.length);
    const cg = `${CGROUP_ROOT}/burstable/pod${pod.metadata!.uid}/${web}`;
    if (existsSync(`/sys/fs/cgroup/cpu/${cg}`)) {
      assert.equal(readFileSync(`/sys/fs/cgroup/cpu/${cg}/cpu.cfs_quota_us`, 'utf8').trim(), '50000');
      assert.equal(readFileSync(`/sys/fs/cgroup/memory/${cg}/memory.limit_in_bytes`, 'utf8').trim(), String(64 * 1024 * 1024));
    } else {
      assert.equal(readFileSync(`/sys/fs/cgroup/${cg}/cpu.max`, 'utf8').trim(), '50000 100000');
      assert.equal(readFileSync(`/sys/fs/cgroup/${cg}/memory.max`, 'utf8').trim(), String(64 * 1024 * 1024));
    }
  });

  test('the agent endpoint takes only the cluster token; kubectl logs and exec reach it through the API server', async (t) => {
    const { request: httpsRequest } = await import('node:https');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: runner!.port,
          path: '/containerLogs/default/two/client',
          rejectUnauthorized: false,
          headers: { Authorization: 'Bearer wrong' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 401);
    const probe = await api(server, 'GET', '/api/v1/namespaces/default/pods/two/log?container=client');
    assert.equal(probe.status, 200, `pods/log through the API server: ${probe.text}`);
    assert.match(probe.text, /hello-from-web/);
    assert.match(kubectl(server, ['logs', 'two', '-c', 'client', '--tail=1']).stdout, /hello-from-web/);
    const exec = kubectl(server, ['exec', 'two', '-c', 'web', '--', 'sh', '-c', 'cat /www/index.html; echo oops >&2; exit 3']);
    assert.equal(exec.code, 3);
    assert.equal(exec.stdout, 'hello-from-web\n');
    assert.match(exec.stderr, /oops/);
    assert.equal(kubectl(server, ['exec', '-i', 'two', '-c', 'web', '--', 'cat'], { input: 'from stdin\n' }).stdout, 'from stdin\n');
  });

  test('a crashing container restarts with back-off and shows CrashLoopBackOff', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'crash' },
      spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', 'echo crashing; exit 3'] }] },
    };
    assert.equal(kubectl(server, ['apply', '-f', '-'], { input: JSON.stringify(manifest) }).code, 0);
    const cs = await waitFor(
      () => {
        const s = getPod('crash').status?.containerStatuses?.[0];
        return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
      },
      'CrashLoopBackOff',
      30_000,
    );
    assert.ok(cs.restartCount >= 1);
    assert.equal(cs.lastState?.terminated?.exitCode, 3);
    assert.equal(cs.lastState?.terminated?.reason, 'Error');
    // The back-off doubles from 10 s with each restart; a slow poll may first see the second one.
    const backOff = 10 * 2 ** (cs.restartCount - 1);
    assert.match(cs.state!.waiting!.message!, new RegExp(`^back-off ${backOff}s restarting failed container=c pod=crash_default\\(`));
    assert.match(kubectl(server, ['get', 'pod', 'crash']).stdout, new RegExp(`crash\\s+0/1\\s+CrashLoopBackOff\\s+${cs.restartCount}\\b`));
    assert.equal(getPod('crash').status!.phase, 'Running');
    assert.match(await podLog('crash', 'c', '--previous'), /crashing/);
  });

  test('a container over its memory limit is OOMKilled', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'oom' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'c',
            image: BUSYBOX,
            command: ['sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'],
            resources: { limits: { memory: '16Mi' } },
          },
        ],
      },
    };
    assert.equal(kubectl(server, ['apply', '-f', '-'], { input: JSON.stringify(manifest) }).code, 0);
    const pod = await waitFor(
      () => {
        const p = getPod('oom');
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      'pod oom Failed',
      30_000,
    );
    const t = pod.status!.containerStatuses![0]!.state!.terminated!;
    assert.equal(t.reason, 'OOMKilled');
    assert.equal(t.exitCode, 137);
    assert.match(kubectl(server, ['get', 'pod', 'oom']).stdout, /oom\s+0\/1\s+OOMKilled/);
  });

  test('init containers run in order; a failing one fails a pod that never restarts', async () => {
    const ok = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'inits' },
      spec: {
        terminationGracePeriodSeconds: 2,
        initContainers: [
          { name: 'first', image: BUSYBOX, command: ['sh', '-c', 'sleep 1; echo one'] },
          { name: 'second', image: BUSYBOX, command: ['sh', '-c', 'echo two'] },
        ],
        containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
      },
    };
    const failing = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'badinit' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 2,
        initContainers: [{ name: 'fails', image: BUSYBOX, command: ['sh', '-c', 'exit 1'] }],
        containers: [{ name: 'app', image: BUSYBOX, command: ['sleep', '3600'] }],
      },
    };
    assert.equal(kubectl(server, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [ok, failing] }) }).code, 0);
    const pod = await waitFor(() => {
      const p = getPod('inits');
      return p.status?.phase === 'Running' ? p : undefined;
    }, 'pod inits Running');
    const [first, second] = pod.status!.initContainerStatuses!;
    assert.equal(first!.state?.terminated?.reason, 'Completed');
    assert.equal(second!.state?.terminated?.reason, 'Completed');
    assert.ok(Date.parse(second!.state!.terminated!.startedAt!) >= Date.parse(first!.state!.terminated!.finishedAt!), 'second started after first finished');
    assert.equal(pod.status!.conditions!.find((c) => c.type === 'Initialized')?.status, 'True');

    const bad = await waitFor(() => {
      const p = getPod('badinit');
      return p.status?.phase === 'Failed' ? p : undefined;
    }, 'pod badinit Failed');
    assert.equal(bad.status!.initContainerStatuses![0]!.state?.terminated?.exitCode, 1);
    assert.equal(bad.status!.containerStatuses![0]!.state?.waiting?.reason, 'PodInitializing');
    assert.match(kubectl(server, ['get', 'pod', 'badinit']).stdout, /badinit\s+0\/1\s+Init:Error/);
  });

  test('readiness follows its probe; a failing liveness probe restarts the container', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probed' },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'ready',
            image: BUSYBOX,
            command: ['sh', '-c', 'touch /tmp/ready; sleep 5; rm /tmp/ready; exec sleep 3600'],
            readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
          },
          {
            name: 'live',
            image: BUSYBOX,
            command: ['sh', '-c', 'mkdir -p /www; echo ok > /www/healthz; httpd -p 8081 -h /www; sleep 2; rm /www/healthz; exec sleep 3600'],
            livenessProbe: { httpGet: { path: '/healthz', port: 8081 }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      },
    };
    assert.equal(kubectl(server, ['apply', '-f', '-'], { input: JSON.stringify(manifest) }).code, 0);
    await eventually(() => getPod('probed').status?.containerStatuses?.find((c) => c.name === 'ready')?.ready === true, 'ready container Ready', 20_000);
    await eventually(
      () => getPod('probed').status?.containerStatuses?.find((c) => c.name === 'ready')?.ready === false,
      'ready container not Ready after its file went',
      20_000,
    );
    const p = getPod('probed');
    assert.equal(p.status!.conditions!.find((c) => c.type === 'Ready')?.status, 'False');
    assert.equal(p.status!.containerStatuses!.find((c) => c.name === 'ready')!.restartCount, 0, 'readiness never restarts');
    await eventually(
      () => (getPod('probed').status?.containerStatuses?.find((c) => c.name === 'live')?.restartCount ?? 0) >= 1,
      'live container restarted',
      30_000,
    );
    const events = kubectl(server, ['get', 'events', '--field-selector', 'involvedObject.name=probed']).stdout;
    assert.match(events, /Unhealthy/);
  });

  test('berth image import loads an archive; pull policies work offline with the errors upstream shows', async () => {
    const busybox = (await findStaticBusybox())!;
    const file = join(dir, 'imported.tar');
    writeFileSync(
      file,
      ociArchive([{ name: 'berth.local/imported:v1', layer: await busyboxLayer(busybox), cmd: ['sh', '-c', 'echo imported-image; exec sleep 3600'] }]),
    );
    assert.deepEqual(await importImageFile(file, { dataDir: dir }), ['berth.local/imported:v1']);
    assert.ok(await rt.imageStatus('berth.local/imported:v1'), 'image present in containerd');
    const pods = [
      { name: 'imp', image: 'berth.local/imported:v1', imagePullPolicy: 'Never' },
      { name: 'never', image: 'berth.local/absent:v1', imagePullPolicy: 'Never' },
      // A registry on loopback that isn't there: the pull fails without leaving the machine.
      { name: 'pullfail', image: '127.0.0.1:1/absent:v1', imagePullPolicy: 'IfNotPresent' },
    ].map((p) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p.name },
      spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'c', image: p.image, imagePullPolicy: p.imagePullPolicy }] },
    }));
    assert.equal(kubectl(server, ['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }) }).code, 0);
    await eventually(() => getPod('imp').status?.phase === 'Running', 'pod from the imported image Running');
    assert.match(
      await waitFor(async () => ((await podLog('imp', 'c')).includes('imported-image') ? podLog('imp', 'c') : undefined), 'log of imp'),
      /imported-image/,
    );
    const never = await waitFor(() => getPod('never').status?.containerStatuses?.[0]?.state?.waiting, 'never waiting');
    assert.equal(never.reason, 'ErrImageNeverPull');
    assert.equal(never.message, 'Container image "berth.local/absent:v1" is not present with pull policy of Never');
    const reasons = new Set<string>();
    await eventually(
      () => {
        const w = getPod('pullfail').status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (w) reasons.add(w);
        // ErrImagePull shows until the next look (about a second): the event says it for sure.
        if (/Error: ErrImagePull/.test(kubectl(server, ['get', 'events', '--field-selector', 'involvedObject.name=pullfail']).stdout))
          reasons.add('ErrImagePull');
        return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff');
      },
      'ErrImagePull, then ImagePullBackOff',
      30_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message} (seen: ${[...reasons].join(', ') || 'none'}; status: ${JSON.stringify(getPod('pullfail').status)})`);
    });
    assert.match(kubectl(server, ['get', 'pod', 'pullfail']).stdout, /pullfail\s+0\/1\s+(ErrImagePull|ImagePullBackOff)/);
  });

  test('a pod whose sandbox dies gets a new one; its containers restart in it', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sbx' },
      spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] },
    };
    assert.equal(kubectl(server, ['apply', '-f', '-'], { input: JSON.stringify(manifest) }).code, 0);
    const pod = await waitFor(() => {
      const p = getPod('sbx');
      return p.status?.phase === 'Running' ? p : undefined;
    }, 'pod sbx Running');
    const uid = pod.metadata!.uid!;
    const [sandbox] = await rt.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
    // The sandbox's own process (the pause container) is the one process in its cgroup.
    const procs = cgroupMounts()
      .map((m) => join(m, `${CGROUP_ROOT}/besteffort/pod${uid}/${sandbox!.id}/cgroup.procs`))
      .find((f) => existsSync(f) && readFileSync(f, 'utf8').trim());
    assert.ok(procs, 'found the sandbox cgroup');
    process.kill(Number(readFileSync(procs, 'utf8').trim().split('\n')[0]), 'SIGKILL');
    const after = await waitFor(
      () => {
        const p = getPod('sbx');
        const cs = p.status?.containerStatuses?.[0];
        return p.status?.phase === 'Running' && cs?.restartCount === 1 && cs.state?.running ? p : undefined;
      },
      'container restarted in a new sandbox',
      20_000,
    );
    const sandboxes = await rt.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
    const ready = sandboxes.filter((s) => s.state === 'SANDBOX_READY');
    assert.equal(ready.length, 1);
    assert.notEqual(ready[0]!.id, sandbox!.id);
    assert.equal(ready[0]!.metadata.attempt, 1);
    assert.ok(inCidr(after.status!.podIP!, CIDR));
  });

  test('a restarted agent (even after kill -9) adopts its pods: same containers, no duplicates', async () => {
    const before = getPod('two');
    const ids = before.status!.containerStatuses!.map((c) => c.containerID).sort();
    const uid = before.metadata!.uid!;
    const old = runner!;
    old.proc.kill('SIGKILL');
    await old.exited;
    // While the agent is away, a pod is force-deleted: the new agent must remove what's left of it.
    const crashUid = getPod('crash').metadata!.uid!;
    assert.equal(kubectl(server, ['delete', 'pod', 'crash', '--grace-period=0', '--force']).code, 0);
    runner = await startRunner();
    await eventually(
      async () => (await rt.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': crashUid } })).length === 0,
      'orphaned sandbox removed',
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const after = getPod('two');
    assert.deepEqual(after.status!.containerStatuses!.map((c) => c.containerID).sort(), ids);
    assert.ok(after.status!.containerStatuses!.every((c) => c.restartCount === 0 && c.state?.running));
    const containers = await rt.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
    assert.equal(containers.length, 2);
    assert.equal((await rt.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).length, 1);
  });

  test('deleting pods leaves nothing behind in containerd, CNI, cgroups or on disk', async () => {
    const r = kubectl(server, ['delete', 'pods', '--all', '--wait=true', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(kubectl(server, ['get', 'pods', '-o', 'name']).stdout.trim(), '');
    await eventually(async () => (await rt.listPodSandbox()).length === 0 && (await rt.listContainers()).length === 0, 'containerd empty', 20_000);
    assert.deepEqual(allocatedIps(layout().cniDataDir), [], 'no IPs held by host-local');
    const netns = join(layout().state, 'io.containerd.grpc.v1.cri', 'netns');
    assert.deepEqual(existsSync(netns) ? readdirSync(netns) : [], [], 'no network namespaces left');
    assert.deepEqual(readdirSync(join(agentDir(), 'pod-logs')), [], 'no pod logs left');
    for (const mount of cgroupMounts()) {
      for (const qos of ['', '/burstable', '/besteffort']) {
        const d = join(mount, CGROUP_ROOT + qos);
        if (existsSync(d))
          assert.deepEqual(
            readdirSync(d).filter((f) => f.startsWith('pod')),
            [],
            `no pod cgroups in ${d}`,
          );
      }
    }
  });
});
