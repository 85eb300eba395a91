// The README's quickstart as a user runs it: the bundled `berth server` with its embedded node
// agent on a fresh data dir (so the server signs the agent's serving certificate with its CA, the agent starts its containerd,
// builds the local busybox image and gets its podCIDR from the embedded controller manager),
// then the README's kubectl commands. The only departure: the cluster range is a subnet
// reserved for this test, so concurrent test files never share addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeOwner } from '../../src/cli/bridge-owner.js';
import { BERTH, eventually, kubectl, startServer, skipIfMissing, type RunningServer } from './harness.js';
import { BUSYBOX, cleanUpHost, missingAgentPrerequisite, recordHostState, reserveTestSubnet } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the quickstart e2e test');

function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/') as [string, string];
  const n = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const mask = 2 ** 32 - 2 ** (32 - Number(bits));
  return (n(ip) & mask) >>> 0 === (n(net) & mask) >>> 0;
}

test('the README quickstart: berth server runs a real deployment with its embedded agent', { skip: missing ?? false, timeout: 240_000 }, async () => {
  // The server's own agent uses the default bridge and cgroup root; no other test file does. A
  // berth0 a stopped Berth left (the user's `npm start`, stopped) is reused; a live one is not.
  const owner = bridgeOwner('berth0');
  assert.ok(!owner?.pid, `a berth runs on this machine (pid ${owner?.pid}, data dir ${owner?.dataDir}) and uses the bridge berth0: stop it first`);
  const subnet = reserveTestSubnet();
  const host = recordHostState();
  // What a stopped `npm start` leaves behind: berth0 holding the default range's gateway.
  if (!existsSync('/sys/class/net/berth0')) {
    assert.equal(spawnSync('ip', ['link', 'add', 'berth0', 'type', 'bridge']).status, 0);
    assert.equal(spawnSync('ip', ['addr', 'add', '10.42.0.1/24', 'dev', 'berth0']).status, 0);
  }
  const server = await startServer({ agent: true, args: ['--cluster-cidr', subnet.cidr, '--node-cidr-mask-size', '24'], timeoutMs: 60_000 });
  let exitCode: number | null = null;
  try {
    // kubectl get nodes -o wide: one Ready node, with the range the controller manager gave it.
    const node = (await eventually(
      () => {
        const r = kubectl(server, ['get', 'nodes', '-o', 'json']);
        const items = JSON.parse(r.stdout).items as Array<{
          metadata: { name: string };
          spec: { podCIDR?: string };
          status: { conditions: Array<{ type: string; status: string }> };
        }>;
        const n = items[0];
        return n && n.spec.podCIDR && n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      },
      "the embedded agent's node Ready with a podCIDR",
      90_000,
    ))!;
    assert.equal(node.spec.podCIDR, subnet.cidr, 'the first node gets the first /24 of the cluster range');
    const wide = kubectl(server, ['get', 'nodes', '-o', 'wide']);
    assert.match(wide.stdout, new RegExp(`${node.metadata.name}\\s+Ready`));
    assert.match(wide.stdout, /CONTAINER-RUNTIME[\s\S]*containerd:\/\//);

    // kubectl create deployment hello --image=berth.local/busybox:host --replicas=2 -- sleep 3600
    const created = kubectl(server, ['create', 'deployment', 'hello', `--image=${BUSYBOX}`, '--replicas=2', '--', 'sleep', '3600']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /deployment.apps\/hello created/);
    const pods = (await eventually(
      () => {
        const r = kubectl(server, ['get', 'pods', '-l', 'app=hello', '-o', 'json']);
        const items = JSON.parse(r.stdout).items as Array<{ metadata: { name: string }; status: { phase?: string; podIP?: string } }>;
        return items.length === 2 && items.every((p) => p.status.phase === 'Running' && p.status.podIP) ? items : undefined;
      },
      'two hello pods Running',
      120_000,
    ))!;
    // The leftover bridge was reused, with this node's gateway in place of the old one.
    assert.match(server.output(), /reusing bridge berth0, left by/);
    const addrs = spawnSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'berth0'], { encoding: 'utf8' }).stdout;
    assert.ok(!addrs.includes('10.42.0.1/24'), `the stale gateway is gone: ${addrs}`);
    const ips = pods.map((p) => p.status.podIP!);
    assert.notEqual(ips[0], ips[1]);
    for (const ip of ips) assert.ok(inCidr(ip, subnet.cidr), `pod IP ${ip} is in the node's range ${subnet.cidr}`);
    const shown = kubectl(server, ['get', 'deploy,pods', '-o', 'wide']);
    assert.match(shown.stdout, /deployment.apps\/hello\s+2\/2\s+2\s+2/);

    // kubectl exec deploy/hello -- hostname: a real process in one of the pods.
    const exec = kubectl(server, ['exec', 'deploy/hello', '--', 'hostname']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.ok(
      pods.some((p) => p.metadata.name === exec.stdout.trim()),
      `hostname ${exec.stdout.trim()} is one of the pods' names`,
    );

    // The exec went through the agent's endpoint, whose certificate the server signed with the
    // cluster CA itself (no CSR needed) for the node's name and address.
    const nodeJson = JSON.parse(kubectl(server, ['get', 'node', node.metadata.name, '-o', 'json']).stdout) as {
      status: { addresses: Array<{ type: string; address: string }>; daemonEndpoints: { kubeletEndpoint: { Port: number } } };
    };
    const ip = nodeJson.status.addresses.find((a) => a.type === 'InternalIP')!.address;
    const peer = await new Promise<{ authorized: boolean; cn: string; san: string }>((resolve, reject) => {
      const s = tlsConnect({ host: ip, port: nodeJson.status.daemonEndpoints.kubeletEndpoint.Port, ca: server.caCert, rejectUnauthorized: false }, () => {
        const c = s.getPeerCertificate();
        resolve({ authorized: s.authorized, cn: String(c.subject?.CN), san: c.subjectaltname ?? '' });
        s.destroy();
      });
      s.on('error', reject);
    });
    assert.equal(peer.authorized, true, 'signed by the cluster CA');
    assert.equal(peer.cn, `system:node:${node.metadata.name}`);
    assert.match(peer.san, new RegExp(`IP Address:${ip.replace(/\./g, '\\.')}`));
    assert.equal(JSON.parse(kubectl(server, ['get', 'csr', '-o', 'json']).stdout).items.length, 0);

    // Deleting the deployment removes the pods' containers.
    assert.equal(kubectl(server, ['delete', 'deployment', 'hello']).code, 0);
    await eventually(
      () => (JSON.parse(kubectl(server, ['get', 'pods', '-o', 'json']).stdout).items.length === 0 ? true : undefined),
      'the hello pods gone',
      90_000,
    );
  } finally {
    exitCode = await server.stop();
    // Pods outlive a stopped server (as with k3s): a test that failed before deleting them stops
    // them with killall. What a user's machine would keep (state under the data dir, the bridge,
    // the cgroup root) goes with the test.
    spawnSync(process.execPath, [BERTH, 'killall', '--data-dir', server.dataDir], { stdio: 'ignore', timeout: 120_000 });
    cleanUpHost(host, { dir: server.dataDir, bridge: 'berth0', subnet, cgroupRoot: '/berth' });
    server.cleanup();
  }
  assert.equal(exitCode, 0, `berth server exits 0 on SIGTERM:\n${server.output().slice(-2000)}`);
});

interface PodView {
  metadata: { uid: string };
  status: { phase?: string; podIP?: string; containerStatuses?: Array<{ containerID?: string; restartCount: number; state?: { running?: unknown } }> };
}

async function runningPod(server: RunningServer, name: string, timeoutMs = 120_000): Promise<PodView> {
  return (await eventually(
    () => {
      const r = kubectl(server, ['get', 'pod', name, '-o', 'json']);
      if (r.code !== 0) return undefined;
      const p = JSON.parse(r.stdout) as PodView;
      return p.status.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running ? p : undefined;
    },
    `pod ${name} Running`,
    timeoutMs,
  ))!;
}

/** Host pids of the processes in the pod's cgroup. */
function podProcesses(uid: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cgroup`, 'utf8').includes(uid)) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${dir}/`));
}

/** Processes whose command line names dir (containerd, its shims). */
function processesNaming(dir: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test(
  'stopping berth server keeps its pods running, the next start adopts them, berth killall removes everything',
  { skip: missing ?? false, timeout: 400_000 },
  async () => {
    const owner = bridgeOwner('berth0');
    assert.ok(!owner?.pid, `a berth runs on this machine (pid ${owner?.pid}) and uses the bridge berth0`);
    const subnet = reserveTestSubnet();
    const host = recordHostState();
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-restart-'));
    const args = ['--cluster-cidr', subnet.cidr, '--node-cidr-mask-size', '24'];
    const killall = () => spawnSync(process.execPath, [BERTH, 'killall', '--data-dir', dataDir], { encoding: 'utf8', timeout: 120_000 });
    let server: RunningServer | undefined;
    try {
      server = await startServer({ agent: true, dataDir, args, timeoutMs: 60_000 });
      const created = kubectl(server, ['run', 'keeper', `--image=${BUSYBOX}`, '--', 'sleep', '3600']);
      assert.equal(created.code, 0, created.stderr);
      const before = await runningPod(server, 'keeper');
      const containerID = before.status.containerStatuses![0]!.containerID!;
      const pids = podProcesses(before.metadata.uid);
      assert.ok(pids.length > 0, 'the pod has processes on the host');

      // One server per data dir: a second one is refused, naming the first.
      const second = spawnSync(process.execPath, [BERTH, 'server', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(second.status, 1, `a second server on the same data dir exits 1:\n${second.stdout}${second.stderr}`);
      assert.equal(second.stderr.trim().split('\n').length, 1, `one line: ${second.stderr}`);
      assert.match(second.stderr, new RegExp(`data dir ${dataDir} is in use by another berth \\(pid ${server.proc.pid}\\)`));

      // A pod terminating slowly (it ignores SIGTERM) while the server stops: its kill is under
      // way in the runtime when SIGTERM comes, and the deletion resumes after the restart.
      const slow = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'slowstop' },
        spec: {
          terminationGracePeriodSeconds: 15,
          containers: [{ name: 'c', image: BUSYBOX, command: ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done'] }],
        },
      };
      assert.equal(kubectl(server, ['apply', '-f', '-'], { input: JSON.stringify(slow) }).code, 0);
      await runningPod(server, 'slowstop');
      assert.equal(kubectl(server, ['delete', 'pod', 'slowstop', '--wait=false']).code, 0);
      await eventually(
        () => /Killing/.test(kubectl(server!, ['get', 'events', '--field-selector', 'involvedObject.name=slowstop']).stdout) || undefined,
        'slowstop being killed',
        20_000,
      );

      // killall refuses while the server runs.
      const early = killall();
      assert.equal(early.status, 1, `${early.stdout}${early.stderr}`);
      assert.equal(early.stderr, `berth: error: berth is running on ${dataDir} (pid ${server.proc.pid}): stop it first (SIGTERM), then run killall\n`);
      assert.ok(pids.every(alive), 'a refused killall touched nothing');

      // SIGTERM: a prompt, clean exit; the pod's processes live on in their shims.
      const t0 = Date.now();
      const code = await server.stop();
      const stopMs = Date.now() - t0;
      const out = server.output();
      assert.equal(code, 0, out.slice(-3000));
      assert.ok(stopMs < 10_000, `stopped in ${stopMs} ms`);
      const bad = out.split('\n').filter((l) => /error|fail|did not stop|dropped|unexpected/i.test(l));
      assert.deepEqual(bad, [], `no error lines in a clean shutdown:\n${out.slice(-3000)}`);
      for (const pid of pids) assert.ok(alive(pid), `pod process ${pid} still runs after the server stopped`);
      assert.ok(existsSync('/sys/class/net/berth0'), 'the bridge stays for the running pods');

      // The next start adopts the pod: same container, never restarted.
      server = await startServer({ agent: true, dataDir, args, timeoutMs: 60_000 });
      await eventually(() => /node agent ready/.test(server!.output()) || undefined, 'the agent ready again', 60_000);
      const after = await runningPod(server, 'keeper');
      assert.equal(after.status.containerStatuses![0]!.containerID, containerID, 'the same container');
      assert.equal(after.status.containerStatuses![0]!.restartCount, 0);
      for (const pid of pids) assert.ok(alive(pid), `pod process ${pid} still runs after the restart`);
      await eventually(() => kubectl(server!, ['get', 'pod', 'slowstop']).code !== 0 || undefined, 'slowstop deleted after the restart', 60_000);
      // The embedded agent's service proxy programmed its table (and leaves it while stopped).
      await eventually(
        () => spawnSync('nft', ['list', 'chain', 'ip', 'berth', 'services']).status === 0 || undefined,
        "the service proxy's table ip berth",
        30_000,
      );
      assert.equal(await server.stop(), 0, server.output().slice(-3000));
      assert.equal(spawnSync('nft', ['list', 'table', 'ip', 'berth']).status, 0, 'the table stays while berth is stopped');

      // killall: no process, mount, bridge, address or nftables table of this Berth is left.
      const k = killall();
      assert.equal(k.status, 0, `${k.stdout}${k.stderr}`);
      assert.match(k.stdout, /stopped and removed 1 containers and 1 pod sandboxes/);
      assert.match(k.stdout, /removed bridge berth0/);
      assert.match(k.stdout, /removed the service proxy's nftables table ip berth/);
      assert.notEqual(spawnSync('nft', ['list', 'table', 'ip', 'berth']).status, 0, 'the table is gone');
      for (const pid of pids) assert.ok(!alive(pid), `pod process ${pid} is gone after killall`);
      assert.deepEqual(processesNaming(dataDir), [], 'no containerd or shim of the data dir runs');
      assert.deepEqual(mountsUnder(dataDir), [], 'nothing is mounted under the data dir');
      assert.ok(!existsSync('/sys/class/net/berth0'), 'the bridge is gone');
      assert.equal(bridgeOwner('berth0'), undefined, 'the bridge record is gone');
      const nat = spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
      if (nat.status === 0) assert.ok(!nat.stdout.includes(`${before.status.podIP}/32`), `no NAT rule for the pod's address ${before.status.podIP} is left`);

      // And a following start works: the pod gets a new sandbox and container.
      server = await startServer({ agent: true, dataDir, args, timeoutMs: 60_000 });
      // (The status still shows the old container until the agent has synced the pod.)
      await eventually(
        () => {
          const r = kubectl(server!, ['get', 'pod', 'keeper', '-o', 'json']);
          const st = (JSON.parse(r.stdout) as PodView).status.containerStatuses?.[0];
          return st?.state?.running && st.containerID !== containerID ? true : undefined;
        },
        'keeper running in a new container after killall',
        120_000,
      );
      const again = await runningPod(server, 'keeper');
      assert.ok(podProcesses(again.metadata.uid).length > 0, 'the pod runs processes again');
      assert.equal(await server.stop(), 0, server.output().slice(-3000));
    } finally {
      await server?.stop();
      killall();
      cleanUpHost(host, { dir: dataDir, bridge: 'berth0', subnet, cgroupRoot: '/berth' });
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
