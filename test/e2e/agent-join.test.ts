// Joining a machine as k3s users do (#14 "Joining"), with real processes: a `berth server`, and
// real `berth agent`s with their own data dirs (the first one runs its own containerd) that
// join with the server's DIR/token. Proves: the token pins the CA; the agent's identity is a
// client certificate of its own obtained through a bootstrap CSR (the API server sees its
// requests as system:node:NAME), never the admin token; a wrong CA hash and a taken node name
// are refused with one clear line; the name is free again once its Node is deleted; the
// bootstrap credential cannot list pods.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1';
import { BERTH, alive, eventually, kubectl, kubectlPath, skipIfMissing, startServer, type RunningServer } from './harness.js';
import {
  cleanUpHost,
  missingAgentPrerequisite,
  recordHostState,
  removeLeftoverPods,
  reserveTestSubnet,
  serverCidrArgs,
  type HostState,
} from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the agent join e2e test');

interface AgentProc {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnAgent(args: string[]): AgentProc {
  const proc = spawn(process.execPath, [BERTH, 'agent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  return { proc, output: () => out, exited };
}

async function stopAgent(a: AgentProc | undefined): Promise<void> {
  if (!a || a.proc.exitCode !== null || a.proc.signalCode !== null) return;
  a.proc.kill('SIGTERM');
  const t = setTimeout(() => a.proc.kill('SIGKILL'), 30_000);
  await a.exited;
  clearTimeout(t);
}

/** Every regular file under dir (the containerd content store too) that holds needle. */
function filesHolding(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      // containerd makes and removes files meanwhile: one gone since the listing held nothing.
      try {
        const st = lstatSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile() && readFileSync(p).includes(needle)) found.push(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  };
  walk(dir);
  return found;
}

describe('berth agent joins with the join token', { skip: missing ?? false }, () => {
  const hex = randomBytes(3).toString('hex');
  const nodeName = `join-${hex}`;
  const bridge = `bj${hex}`;
  let server: RunningServer;
  let host: HostState;
  let subnet: { cidr: string; release(): void };
  let dir: string;
  let tokenFile: string;
  let first: AgentProc | undefined;
  const others: AgentProc[] = [];
  const agentArgs = (dataDir: string) => [
    '--server',
    server.url,
    '--token-file',
    tokenFile,
    '--data-dir',
    dataDir,
    '--node-name',
    nodeName,
    '--node-ip',
    '127.0.0.1',
    '--listen',
    '127.0.0.1:0',
    '--bridge',
    bridge,
    '--no-ip-masq',
  ];
  const getNode = (): Node | undefined => {
    const r = kubectl(server, ['get', 'node', nodeName, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as Node) : undefined;
  };

  before(async () => {
    host = recordHostState();
    subnet = reserveTestSubnet();
    server = await startServer({ args: serverCidrArgs(subnet.cidr) });
    dir = mkdtempSync(join(tmpdir(), 'berth-join-'));
    tokenFile = join(server.dataDir, 'token');
  });

  after(async () => {
    for (const a of [first, ...others]) await stopAgent(a);
    if (existsSync(join(dir, 'a1', 'containerd'))) await removeLeftoverPods(join(dir, 'a1', 'containerd'));
    for (const d of ['a2', 'a-short']) if (existsSync(join(dir, d, 'containerd'))) await removeLeftoverPods(join(dir, d, 'containerd'));
    cleanUpHost(host, { dir, bridge, subnet, cgroupRoot: `/berth-e2e-join-${hex}` });
    await server?.stop();
    server?.cleanup();
  });

  test('the server writes DIR/token (0600) in K10<sha256 of the CA PEM>::server:<secret> form and says how to join', async () => {
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const token = readFileSync(tokenFile, 'utf8').trim();
    const hash = createHash('sha256')
      .update(readFileSync(join(server.dataDir, 'pki', 'ca.crt')))
      .digest('hex');
    assert.match(token, new RegExp(`^K10${hash}::server:[0-9a-f]{32}$`));
    const joinLine = new RegExp(
      `to add a node, run on it: berth agent --server https://127\\.0\\.0\\.1:\\d+ --token-file ${tokenFile.replace(/[.]/g, '\\.')} `,
    );
    await eventually(() => joinLine.test(server.output()), 'the join line', 5000);
  });

  test('/cacerts serves the CA without credentials, byte for byte what the token hashes', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(`${server.url}/cacerts`, { ca: server.caCert }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(b) : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(body, server.caCert);
  });

  test("the token's secret is only a bootstrap credential: kubectl with it cannot list pods (403 in RBAC's words)", () => {
    const secret = readFileSync(tokenFile, 'utf8').trim().split(':').pop()!;
    const caFile = join(server.dataDir, 'pki', 'ca.crt');
    const r = spawnSync(
      kubectlPath(),
      ['--server', server.url, '--certificate-authority', caFile, '--token', secret, '--kubeconfig', '/dev/null', 'get', 'pods'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 1, r.stdout);
    assert.match(
      r.stderr,
      /Error from server \(Forbidden\): pods is forbidden: User "system:bootstrap:server" cannot list resource "pods" in API group "" in the namespace "default"/,
    );
  });

  test("a token whose CA hash is not the server's: one error line, exit 1, nothing asked", async () => {
    const bad = join(dir, 'bad-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    writeFileSync(
      bad,
      token.replace(/^K10./, (p) => `K10${p[3] === '0' ? '1' : '0'}`),
      { mode: 0o600 },
    );
    const before = kubectl(server, ['get', 'csr', '-o', 'name']).stdout;
    const r = spawnSync(
      process.execPath,
      [BERTH, 'agent', '--server', server.url, '--token-file', bad, '--data-dir', join(dir, 'a-bad'), '--node-name', 'never'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^berth: error: the cluster CA of https:\/\/127\.0\.0\.1:\d+ \(sha256 [0-9a-f]{64}\) does not match the token's CA hash [0-9a-f]{64}: the token is for another cluster, or something is posing as the server\n$/,
    );
    assert.equal(kubectl(server, ['get', 'csr', '-o', 'name']).stdout, before, 'no CSR was made');
  });

  test('join with the K10 token: Node Ready, the agent identified as system:node:NAME by its own certificate, the admin token nowhere', async () => {
    first = spawnAgent(agentArgs(join(dir, 'a1')));
    await eventually(() => getNode()?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', `node ${nodeName} Ready`, 90_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${first!.output()}`);
    });
    // The bootstrap request came from the token; the serving request (made after the join)
    // came from the node itself: the API server saw the agent as system:node:NAME.
    const csrs = JSON.parse(kubectl(server, ['get', 'csr', '-o', 'json']).stdout).items as Array<{
      spec: { signerName: string; username: string; groups: string[] };
      status: { certificate?: string; conditions?: Array<{ type: string }> };
    }>;
    const client = csrs.filter((c) => c.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet');
    assert.equal(client.length, 1);
    assert.equal(client[0]!.spec.username, 'system:bootstrap:server');
    assert.ok(client[0]!.spec.groups.includes('system:bootstrappers'));
    assert.ok(client[0]!.status.certificate && client[0]!.status.conditions?.some((c) => c.type === 'Approved'));
    const serving = (await eventually(() => {
      const items = JSON.parse(kubectl(server, ['get', 'csr', '-o', 'json']).stdout).items as typeof csrs;
      return items.find((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving');
    }, 'the serving CSR')) as (typeof csrs)[number];
    assert.equal(serving.spec.username, `system:node:${nodeName}`);
    assert.deepEqual(serving.spec.groups, ['system:nodes', 'system:authenticated']);
    // Its certificate and key are kept in DATA_DIR/pki, 0600, for the node's identity.
    const pki = join(dir, 'a1', 'pki');
    for (const f of ['kubelet-client.crt', 'kubelet-client.key']) assert.equal(statSync(join(pki, f)).mode & 0o777, 0o600, f);
    const cert = new X509Certificate(readFileSync(join(pki, 'kubelet-client.crt')));
    assert.equal(cert.subject, `CN=system:node:${nodeName}\nO=system:nodes`);
    assert.ok(cert.verify(new X509Certificate(server.caCert).publicKey), 'signed by the cluster CA');
    assert.equal(statSync(join(dir, 'a1', 'node-password')).mode & 0o777, 0o600);
    // The admin token is in no file of the agent's, nor in its arguments or environment.
    assert.deepEqual(filesHolding(join(dir, 'a1'), server.token), []);
    const pid = first.proc.pid!;
    assert.ok(!readFileSync(`/proc/${pid}/cmdline`).includes(server.token));
    assert.ok(!readFileSync(`/proc/${pid}/environ`).includes(server.token));
    // The machine holds its name: the Secret has the password's hash, not the password.
    const secret = JSON.parse(kubectl(server, ['get', 'secret', '-n', 'kube-system', `${nodeName}.node-password.berth`, '-o', 'json']).stdout) as {
      data: { hash: string };
    };
    const password = readFileSync(join(dir, 'a1', 'node-password'), 'utf8').trim();
    assert.equal(Buffer.from(secret.data.hash, 'base64').toString(), `sha256:${createHash('sha256').update(password).digest('hex')}`);
  });

  test('a short token (the secret alone) joins too, with a warning that the CA is not checked', async () => {
    const short = join(dir, 'short-token');
    writeFileSync(short, readFileSync(tokenFile, 'utf8').trim().split(':').pop()! + '\n', { mode: 0o600 });
    const a = spawnAgent([
      '--server',
      server.url,
      '--token-file',
      short,
      '--data-dir',
      join(dir, 'a-short'),
      '--node-name',
      `${nodeName}-short`,
      '--node-ip',
      '127.0.0.1',
      '--listen',
      '127.0.0.1:0',
      '--bridge',
      bridge,
      '--no-ip-masq',
    ]);
    others.push(a);
    await eventually(() => /client certificate issued by the cluster CA/.test(a.output()) || a.proc.exitCode !== null, 'the short-token agent joined', 60_000);
    await stopAgent(a);
    assert.match(
      a.output(),
      /^berth: WARNING: a short token: the CA the server sends is trusted without a check; use the full token \(K10\.\.\.\) from the server's DATA_DIR\/token to pin it\n/,
    );
    assert.match(a.output(), /client certificate issued by the cluster CA/);
    const cert = new X509Certificate(readFileSync(join(dir, 'a-short', 'pki', 'kubelet-client.crt')));
    assert.equal(cert.subject, `CN=system:node:${nodeName}-short\nO=system:nodes`);
  });

  test('a second machine (another data dir) under the taken name is refused with one clear line, until the Node is deleted', async () => {
    assert.ok(first, 'the first agent joined');
    const r = spawnSync(process.execPath, [BERTH, 'agent', ...agentArgs(join(dir, 'a2'))], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `\\nberth: error: cannot join as node ${nodeName}: node name ${nodeName} is taken by another machine; delete Node ${nodeName} to reuse it\\n$`,
      ),
    );
    assert.equal(existsSync(join(dir, 'a2', 'pki', 'kubelet-client.crt')), false);

    // The first machine goes away and its Node is deleted: the name is free again.
    await stopAgent(first);
    assert.equal(kubectl(server, ['delete', 'node', nodeName]).code, 0);
    await eventually(
      () => kubectl(server, ['get', 'secret', '-n', 'kube-system', `${nodeName}.node-password.berth`]).code !== 0,
      'the node password Secret gone with the Node',
    );
    const second = spawnAgent(agentArgs(join(dir, 'a2')));
    others.push(second);
    await eventually(
      () => /client certificate issued by the cluster CA/.test(second.output()) || second.proc.exitCode !== null,
      'the second machine joined',
      60_000,
    );
    assert.match(second.output(), /client certificate issued by the cluster CA/);
    const cert = new X509Certificate(readFileSync(join(dir, 'a2', 'pki', 'kubelet-client.crt')));
    assert.equal(cert.subject, `CN=system:node:${nodeName}\nO=system:nodes`);
    await stopAgent(second);
  });
});

// containerd starts while the client CSR is in flight: a signal meanwhile (nobody approves here:
// no controller manager) must still end the agent cleanly, stopping that containerd.
describe('berth agent stopped while its join waits for approval', { skip: missing ?? false }, () => {
  const hex = randomBytes(3).toString('hex');
  const bridge = `bs${hex}`;
  let server: RunningServer;
  let host: HostState;
  let dir: string;
  let agent: AgentProc | undefined;

  before(async () => {
    host = recordHostState();
    server = await startServer({ args: ['--disable-controller-manager'] });
    dir = mkdtempSync(join(tmpdir(), 'berth-join-sig-'));
  });

  after(async () => {
    await stopAgent(agent);
    // No pod runs: no pod subnet was reserved to give back.
    cleanUpHost(host, { dir, bridge, subnet: { release: () => undefined }, cgroupRoot: `/berth-e2e-joinsig-${hex}` });
    await server?.stop();
    server?.cleanup();
  });

  test('SIGTERM during the CSR wait: exit 0, the containerd it started is gone, no bridge claimed', async () => {
    const dataDir = join(dir, 'a');
    agent = spawnAgent([
      '--server',
      server.url,
      '--token-file',
      join(server.dataDir, 'token'),
      '--data-dir',
      dataDir,
      '--node-name',
      `sig-${hex}`,
      '--node-ip',
      '127.0.0.1',
      '--listen',
      '127.0.0.1:0',
      '--bridge',
      bridge,
      '--cgroup-root',
      `/berth-e2e-joinsig-${hex}`,
    ]);
    const a = agent;
    await eventually(
      () => /containerd \S+ running \(pid \d+/.test(a.output()) && /waiting for CertificateSigningRequest/.test(a.output()),
      'containerd up and the client CSR waiting',
      60_000,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}\n${a.output()}`);
    });
    const containerdPid = Number(/containerd \S+ running \(pid (\d+)/.exec(a.output())![1]);
    assert.ok(alive(containerdPid), 'containerd runs while the join waits');
    a.proc.kill('SIGTERM');
    assert.equal(await a.exited, 0, a.output());
    await eventually(() => !alive(containerdPid), `containerd ${containerdPid} gone`, 10_000);
    assert.equal(existsSync(`/sys/class/net/${bridge}`), false, 'no bridge made for a node that never joined');
    assert.equal(existsSync(join(dataDir, 'pki', 'kubelet-client.crt')), false);
  });
});
