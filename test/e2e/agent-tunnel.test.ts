// The agent tunnel (#14 "Agents only dial out"), with real processes: two `berth server`s over
// one etcd (sharing one CA, as servers of one cluster do), and a real `berth agent` joined to
// the first with the join token. The servers cannot reach the agent: its Node says InternalIP
// 127.0.0.2 while its endpoint listens on 127.0.0.1 only, so a direct dial is refused (the
// test checks it) and everything the servers get from it comes through the tunnels it dials.
// The servers listen on addresses of a veth pair the test makes (198.18.0.0/15, benchmark
// space), advertised in default/kubernetes, where the agent learns of the second one.
// Proves: kubectl logs, exec and port-forward reach a pod through server A's tunnel; logs
// through server B's; A restarting cuts its tunnel, B keeps serving meanwhile, and the agent
// dials A again on its own so that logs through A work again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1';
import WebSocket from 'ws';
import { BERTH, eventually, kubectl, kubectlBackground, requireCommand, skipIfMissing, startServer, type RunningServer } from './harness.js';
import { freePort, startEtcd, type RunningEtcd } from './etcd-harness.js';
import {
  BUSYBOX,
  cleanUpHost,
  missingAgentPrerequisite,
  recordHostState,
  removeLeftoverPods,
  reserveTestSubnet,
  serverCidrArgs,
  type HostState,
} from './agent-fixture.js';

const missing = skipIfMissing(
  (await missingAgentPrerequisite()) ?? (requireCommand('etcd') ? undefined : 'etcd is not installed'),
  'the agent tunnel e2e test',
);

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** Whether a TCP connection to host:port is refused (what a server dialing the agent directly gets). */
function refused(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.setTimeout(5000, () => (s.destroy(), resolve('timeout')));
    s.on('connect', () => (s.destroy(), resolve('connected')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/index.html', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('error', reject);
  });
}

/** A tunnel dial with these headers: the server's refusal (status and message), or 'open'. */
function dialTunnel(s: RunningServer, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${s.url.replace(/^https/, 'wss')}/v1-berth/connect`, { ca: s.caCert, headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${(JSON.parse(body) as { message: string }).message}`));
    });
    ws.on('open', () => (ws.close(), resolve('open')));
    ws.on('error', (e) => resolve(e.message));
  });
}

describe('the agent tunnel: servers reach an agent only through the tunnels it dials', { skip: missing ?? false, timeout: 300_000 }, () => {
  const hex = randomBytes(3).toString('hex');
  const nodeName = `tunnel-${hex}`;
  const bridge = `bt${hex}`;
  const link = `btl${hex}`;
  // Two addresses of 198.18.0.0/15 on the test's own veth link: traffic to them stays on this machine.
  const octet = 1 + (parseInt(hex, 16) % 250);
  const addrA = `198.18.${octet}.1`;
  const addrB = `198.18.${octet}.2`;
  let port: number;
  let etcd: RunningEtcd;
  let a: RunningServer;
  let b: RunningServer;
  let host: HostState;
  let subnet: { cidr: string; release(): void };
  let dir: string;
  let agent: { proc: ChildProcess; output: () => string; exited: Promise<number | null> } | undefined;
  let linkMade = false;

  const serverArgs = (address: string) => [
    '--datastore',
    `etcd://${etcd.endpoints.join(',')}`,
    '--listen',
    `${address}:${port}`,
    '--advertise-address',
    address,
    ...serverCidrArgs(subnet.cidr),
  ];
  const tunnelsOf = (s: RunningServer) => (s.output().match(new RegExp(`agent tunnel of node ${nodeName} connected`, 'g')) ?? []).length;
  const logs = (s: RunningServer) => kubectl(s, ['logs', 'tunneled'], { timeoutMs: 30_000 });

  before(async () => {
    host = recordHostState();
    subnet = reserveTestSubnet();
    dir = mkdtempSync(join(tmpdir(), 'berth-tunnel-'));
    ip(['link', 'add', link, 'type', 'veth', 'peer', 'name', `btp${hex}`]);
    linkMade = true;
    ip(['addr', 'add', `${addrA}/32`, 'dev', link]);
    ip(['addr', 'add', `${addrB}/32`, 'dev', link]);
    ip(['link', 'set', link, 'up']);
    ip(['link', 'set', `btp${hex}`, 'up']);
    port = await freePort();
    etcd = await startEtcd();
    a = await startServer({ dataDir: join(dir, 'server-a'), args: serverArgs(addrA), timeoutMs: 40_000 });
    // Server B is of the same cluster: the same CA, tokens and kubelet client certificate.
    mkdirSync(join(dir, 'server-b'), { mode: 0o700 });
    cpSync(join(dir, 'server-a', 'pki'), join(dir, 'server-b', 'pki'), { recursive: true });
    cpSync(join(dir, 'server-a', 'token'), join(dir, 'server-b', 'token'));
    b = await startServer({ dataDir: join(dir, 'server-b'), args: serverArgs(addrB), timeoutMs: 40_000 });
  });

  after(async () => {
    if (agent && agent.proc.exitCode === null && agent.proc.signalCode === null) {
      agent.proc.kill('SIGTERM');
      const t = setTimeout(() => agent!.proc.kill('SIGKILL'), 30_000);
      await agent.exited;
      clearTimeout(t);
    }
    if (existsSync(join(dir, 'agent', 'containerd'))) await removeLeftoverPods(join(dir, 'agent', 'containerd'));
    for (const s of [a, b]) {
      await s?.stop();
      s?.cleanup();
    }
    await etcd?.stop();
    if (linkMade) spawnSync('ip', ['link', 'del', link]);
    cleanUpHost(host, { dir, bridge, subnet, cgroupRoot: `/berth-e2e-tunnel-${hex}` });
    rmSync(dir, { recursive: true, force: true });
  });

  test('logs, exec and port-forward through server A; logs through server B; A restarts and the agent dials it again', async () => {
    const proc = spawn(
      process.execPath,
      [
        BERTH,
        'agent',
        '--server',
        a.url,
        '--token-file',
        join(a.dataDir, 'token'),
        '--data-dir',
        join(dir, 'agent'),
        '--node-name',
        nodeName,
        '--node-ip',
        '127.0.0.2',
        '--listen',
        '127.0.0.1:0',
        '--bridge',
        bridge,
        '--no-ip-masq',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    agent = { proc, output: () => out, exited: new Promise((r) => proc.on('exit', (c) => r(c))) };
    const fail = (e: unknown) => {
      throw new Error(`${(e as Error).message}\nagent:\n${out.slice(-3000)}\nserver A:\n${a.output().slice(-2000)}`);
    };

    const node = (await eventually(
      () => {
        const r = kubectl(a, ['get', 'node', nodeName, '-o', 'json']);
        const n = r.code === 0 ? (JSON.parse(r.stdout) as Node) : undefined;
        return n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
      },
      `node ${nodeName} Ready`,
      90_000,
    ).catch(fail)) as Node;
    // What a server dialing the node directly would get: nothing listens at the Node's address.
    const agentPort = node.status!.daemonEndpoints!.kubeletEndpoint!.Port;
    assert.equal(node.status!.addresses!.find((x) => x.type === 'InternalIP')?.address, '127.0.0.2');
    assert.equal(await refused('127.0.0.2', agentPort), 'ECONNREFUSED');
    // The agent dials both servers: A it joined, B from default/kubernetes.
    await eventually(() => tunnelsOf(a) >= 1 && tunnelsOf(b) >= 1, 'tunnels to both servers', 60_000).catch(fail);

    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'tunneled' },
      spec: {
        nodeName,
        containers: [
          {
            name: 'app',
            image: BUSYBOX,
            command: ['sh', '-c', 'echo hello-through-the-tunnel; mkdir -p /www && echo served-$HOSTNAME > /www/index.html && exec httpd -f -p 8080 -h /www'],
          },
        ],
      },
    };
    const applied = kubectl(a, ['apply', '-f', '-'], { input: JSON.stringify(pod) });
    assert.equal(applied.code, 0, applied.stderr);
    await eventually(() => kubectl(a, ['get', 'pod', 'tunneled', '-o', 'jsonpath={.status.phase}']).stdout === 'Running', 'the pod running', 90_000).catch(
      fail,
    );
    // The serving certificate may still be on its way: logs work once it is.
    await eventually(() => logs(a).stdout.includes('hello-through-the-tunnel'), 'kubectl logs through server A', 60_000).catch(fail);

    const exec = kubectl(a, ['exec', 'tunneled', '--', 'sh', '-c', 'echo $((6*7)); cat /www/index.html'], { timeoutMs: 30_000 });
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout, '42\nserved-tunneled\n');

    const pf = kubectlBackground(a, ['port-forward', 'pod/tunneled', ':8080']);
    try {
      const local = Number(
        (await eventually(() => /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(pf.stdout())?.[1], 'kubectl port-forward listening', 20_000).catch((e) => {
          throw new Error(`${(e as Error).message}: ${pf.stderr()}`);
        })) as string,
      );
      // Several connections over one session, each a stream of the tunnel.
      assert.deepEqual(await Promise.all([1, 2, 3].map(() => httpGet(local))), ['200 served-tunneled', '200 served-tunneled', '200 served-tunneled']);
    } finally {
      pf.proc.kill();
    }

    // Only nodes open tunnels: not the admin, not anyone without credentials.
    assert.match(
      await dialTunnel(a, { Authorization: `Bearer ${a.token}` }),
      /^403 forbidden: User "[^"]+" cannot create path "\/v1-berth\/connect": only nodes/,
    );
    // Without credentials a caller is system:anonymous, whom RBAC gives no such path.
    assert.match(await dialTunnel(a, {}), /^403 forbidden: User "system:anonymous" cannot get path "\/v1-berth\/connect"/);
    assert.match(await dialTunnel(a, { Authorization: 'Bearer not-a-token' }), /^401 /);
    const plain = kubectl(a, ['get', '--raw', '/v1-berth/connect']);
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /the agent tunnel is a WebSocket: Upgrade: websocket required/);

    const viaB = logs(b);
    assert.equal(viaB.code, 0, viaB.stderr);
    assert.match(viaB.stdout, /hello-through-the-tunnel/);

    // Server A goes away: its tunnel with it. B still reaches the agent meanwhile.
    const dialsBefore = tunnelsOf(a);
    await a.stop();
    assert.match(logs(b).stdout, /hello-through-the-tunnel/);
    await eventually(() => /tunnel to https:\/\/198\.18\.\d+\.1:\d+ lost; dialing again/.test(out), 'the agent noticing the lost tunnel', 30_000).catch(fail);
    a = await startServer({ dataDir: join(dir, 'server-a'), args: serverArgs(addrA), timeoutMs: 40_000 });
    // The new process has its own output: its first tunnel of the node is the agent's redial.
    assert.ok(dialsBefore >= 1);
    await eventually(() => tunnelsOf(a) >= 1, 'the agent dialing server A again', 60_000).catch(fail);
    await eventually(() => logs(a).stdout.includes('hello-through-the-tunnel'), 'kubectl logs through the restarted server A', 30_000).catch(fail);
    assert.match(out, /tunnel to https:\/\/198\.18\.\d+\.1:\d+ reconnected/);
  });
});
