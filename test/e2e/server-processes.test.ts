// `berth server` on a machine of several cores runs its scheduler and its controller manager in
// processes of their own, children of the server process, with the flags the server was given.
// They are kept: one killed with -9 is restarted and its work goes on; killed with the server,
// they go too; SIGTERM stops everything with exit 0. --single-process keeps them in the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, api, BERTH, childPids, eventually, kubectlOk, startServer, type RunningServer } from './harness.js';
import { startSimProcess } from './sim-process.js';

const MULTI_CORE = availableParallelism() >= 2;
const needsCores = MULTI_CORE ? false : `the processes run apart on 2 or more cores; this machine has ${availableParallelism()}`;

function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

/** The berth command a process runs: the argument after the entry script (node's own flags come before it). */
function berthCommand(pid: number): string | undefined {
  const argv = commandLine(pid);
  const script = argv.findIndex((a) => a.endsWith('berth.js'));
  return script >= 0 ? argv[script + 1] : undefined;
}

/** The scheduler and controller-manager children of a server process, by their berth command. */
function components(serverPid: number): { scheduler?: number; controllerManager?: number; all: number[] } {
  const all = childPids(serverPid);
  const byCommand = (cmd: string) => all.find((pid) => berthCommand(pid) === cmd);
  return { scheduler: byCommand('scheduler'), controllerManager: byCommand('controller-manager'), all };
}

/** Waits for both component processes under a server process (other than those in `not`). */
async function running(serverPid: number, what: string, not: number[] = []): Promise<{ scheduler: number; controllerManager: number; all: number[] }> {
  const c = await eventually(() => {
    const found = components(serverPid);
    return found.scheduler && found.controllerManager && !not.includes(found.scheduler) ? found : undefined;
  }, what);
  return { scheduler: c!.scheduler!, controllerManager: c!.controllerManager!, all: c!.all };
}

function serverProcess(s: RunningServer): number {
  const kids = childPids(s.proc.pid!);
  assert.equal(kids.length, 1, `one server process under the supervisor, found ${kids.join(',')}`);
  return kids[0]!;
}

const boundPods = (s: RunningServer, app: string): number =>
  JSON.parse(kubectlOk(s, ['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items.filter(
    (p: any) => p.spec.nodeName && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp,
  ).length;

function deployment(name: string, replicas: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
      },
    },
  };
}

test(
  'berth server: scheduler and controller manager are child processes; a Deployment runs; a killed scheduler is restarted; SIGTERM exits 0 leaving none',
  { timeout: 150_000, skip: needsCores },
  async (t) => {
    const s = await startServer({ args: ['--cluster-cidr', '10.77.0.0/16', '--node-cidr-mask-size', '26', '--scheduler-metrics-bind-address', '127.0.0.1:0'] });
    let sim: Awaited<ReturnType<typeof startSimProcess>> | undefined;
    try {
      const server = serverProcess(s);
      const first = await running(server, 'a scheduler and a controller-manager process under the server process');
      assert.equal(first.all.length, 2, `only those two children: ${first.all.map((p) => commandLine(p).join(' ')).join('; ')}`);
      assert.notEqual(first.scheduler, server);
      // On two cores or fewer each collects its garbage on its own thread, compacting at every
      // full collection (cli/gc-flags.ts).
      const twoCores = availableParallelism() <= 2;
      for (const pid of [server, first.scheduler, first.controllerManager]) {
        assert.equal(commandLine(pid).includes('--single-threaded-gc'), twoCores, commandLine(pid).join(' '));
        assert.equal(commandLine(pid).includes('--compact-on-every-full-gc'), twoCores, commandLine(pid).join(' '));
      }
      assert.match(s.output(), new RegExp(`server\\] scheduler running in process ${first.scheduler}$`, 'm'));
      assert.match(s.output(), new RegExp(`server\\] controller manager running in process ${first.controllerManager}$`, 'm'));
      // The controller manager has the cluster CA and the server's node IPAM flags.
      const cm = commandLine(first.controllerManager);
      assert.deepEqual(cm.slice(cm.indexOf('--cluster-signing-cert-file'), cm.indexOf('--cluster-signing-cert-file') + 4), [
        '--cluster-signing-cert-file',
        `${s.dataDir}/pki/ca.crt`,
        '--cluster-signing-key-file',
        `${s.dataDir}/pki/ca.key`,
      ]);

      // A node with no range gets one as the flags of `berth server` say: cut by the controller manager process.
      assert.equal((await api(s, 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ipam-probe' } })).status, 201);
      const podCidr = await eventually(async () => (await api(s, 'GET', '/api/v1/nodes/ipam-probe')).json.spec?.podCIDR, 'the probe node gets a podCIDR');
      assert.match(podCidr, /^10\.77\.\d+\.\d+\/26$/);
      // The controller manager acts as each controller's own identity, as in the server: it holds the CA.
      const sa = await eventually(
        async () => (await api(s, 'GET', '/api/v1/namespaces/kube-system/serviceaccounts/replicaset-controller')).status === 200,
        "the controllers' ServiceAccounts exist",
      );
      assert.ok(sa);
      assert.equal((await api(s, 'DELETE', '/api/v1/nodes/ipam-probe')).status, 200);

      sim = await startSimProcess({ kubeconfig: s.kubeconfig, nodes: '1', namePrefix: 'procs-', startDelay: '100', podCidr: '10.244.0.0/16' });
      kubectlOk(s, ['create', '-f', '-'], { input: JSON.stringify(deployment('split', 3)) });
      await eventually(() => boundPods(s, 'split') === 3, 'the Deployment: 3 pods made by the controllers, bound by the scheduler, Running', 30_000);

      // kill -9 of the scheduler: restarted, with the reason, and scheduling goes on.
      process.kill(first.scheduler, 'SIGKILL');
      await eventually(
        () =>
          new RegExp(`scheduler process ${first.scheduler} killed by SIGKILL \\(the kernel OOM killer or kill -9\\); restarting in \\d+ ms`).test(s.output()),
        'the server says why the scheduler is restarted',
        10_000,
      );
      const second = await running(server, 'a new scheduler process under the server process', [first.scheduler]);
      assert.equal(second.controllerManager, first.controllerManager, 'the controller manager was left alone');
      // The child shows in /proc a moment before the server has written its line.
      await eventually(() => new RegExp(`scheduler process ${second.scheduler} started \\(restart 1\\)`).test(s.output()), 'the restart logged');
      const killedAt = Date.now();
      kubectlOk(s, ['scale', 'deployment', 'split', '--replicas', '5']);
      // The new scheduler takes the Lease once the killed one's lapses (15 s), as upstream's would.
      await eventually(() => boundPods(s, 'split') === 5, 'the two new pods scheduled by the restarted scheduler', 60_000);
      t.diagnostic(`figures: pods scheduled ${Date.now() - killedAt} ms after kill -9 of the scheduler process`);

      await sim.stop();
      sim = undefined;
      assert.equal(await s.stop(), 0, 'SIGTERM: a clean stop, exit 0');
      await eventually(
        () => [server, second.scheduler, second.controllerManager].every((pid) => !alive(pid)),
        'no server, scheduler or controller-manager process left',
        5_000,
      );
      assert.match(s.output(), /scheduler\] SIGTERM received, shutting down/);
      assert.match(s.output(), /controller-manager\] SIGTERM received, shutting down/);
      assert.doesNotMatch(s.output(), /restart 2|did not stop/, 'stopped, not restarted nor killed');
    } finally {
      await sim?.stop();
      s.cleanup();
    }
  },
);

test('berth server: a server process killed with -9 takes its scheduler and controller manager with it', { timeout: 90_000, skip: needsCores }, async () => {
  const s = await startServer({ args: ['--scheduler-metrics-bind-address', '127.0.0.1:0'] });
  try {
    const server = serverProcess(s);
    const before = await running(server, 'the component processes');
    process.kill(server, 'SIGKILL');
    await eventually(
      () => !alive(before.scheduler) && !alive(before.controllerManager),
      `processes ${before.scheduler} and ${before.controllerManager} gone with their server`,
      5_000,
    );
    // The supervisor restarts the server, which starts its components anew.
    await eventually(() => (s.output().match(/API server ready at/g) ?? []).length === 2, 'the restarted server is ready', 30_000);
    const successor = serverProcess(s);
    const after = await running(successor, 'the restarted server has its component processes');
    assert.equal(await s.stop(), 0);
    await eventually(() => [successor, after.scheduler, after.controllerManager].every((pid) => !alive(pid)), 'nothing left after SIGTERM', 5_000);
  } finally {
    s.cleanup();
  }
});

test('berth server --no-supervisor: the components are its children, and go when it is killed with -9', { timeout: 60_000, skip: needsCores }, async () => {
  const s = await startServer({ args: ['--no-supervisor', '--scheduler-metrics-bind-address', '127.0.0.1:0'] });
  try {
    const c = await running(s.proc.pid!, 'the component processes under the server');
    // The server alone (the harness's kill9 would kill its children too).
    s.proc.kill('SIGKILL');
    await eventually(() => !alive(s.proc.pid!), 'the server gone');
    await eventually(() => !alive(c.scheduler) && !alive(c.controllerManager), 'the components gone with their server', 5_000);
  } finally {
    s.cleanup();
  }
});

test('berth server --single-process: no child process; the embedded scheduler and controllers run a Deployment', { timeout: 90_000 }, async () => {
  const s = await startServer({ args: ['--single-process'] });
  let sim: Awaited<ReturnType<typeof startSimProcess>> | undefined;
  try {
    const server = serverProcess(s);
    sim = await startSimProcess({ kubeconfig: s.kubeconfig, nodes: '1', namePrefix: 'single-', startDelay: '100', podCidr: '10.244.0.0/16' });
    kubectlOk(s, ['create', '-f', '-'], { input: JSON.stringify(deployment('single', 2)) });
    await eventually(() => boundPods(s, 'single') === 2, 'the Deployment runs', 30_000);
    assert.deepEqual(childPids(server), [], 'the server process has no children');
    assert.doesNotMatch(s.output(), /running in process/);
    await sim.stop();
    sim = undefined;
    assert.equal(await s.stop(), 0);
  } finally {
    await sim?.stop();
    s.cleanup();
  }
});

test(
  'berth server --disable-scheduler: the controller manager alone runs apart; the scheduler runs nowhere',
  { timeout: 60_000, skip: needsCores },
  async () => {
    const s = await startServer({ args: ['--no-supervisor', '--disable-scheduler'] });
    try {
      const c = await eventually(() => {
        const found = components(s.proc.pid!);
        return found.controllerManager ? found : undefined;
      }, 'the controller-manager process');
      // Give a scheduler that should not be there the time to show up.
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(components(s.proc.pid!).all, [c!.controllerManager], 'one child: the controller manager');
      assert.doesNotMatch(s.output(), /scheduler running in process|scheduler\]/);
      assert.equal(await s.stop(), 0);
      await eventually(() => !alive(c!.controllerManager!), 'the controller manager stopped with the server', 5_000);
    } finally {
      s.cleanup();
    }
  },
);

test('berth server --scheduler-metrics-bind-address that is no HOST:PORT: one error line, exit 1, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-procs-flags-'));
  try {
    const dataDir = join(dir, 'data');
    const r = spawnSync(
      process.execPath,
      [BERTH, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--no-agent', '--scheduler-metrics-bind-address', 'nope'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'berth: error: --scheduler-metrics-bind-address must be HOST:PORT, got "nope"\n');
    assert.ok(!existsSync(dataDir), 'no data dir made');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
