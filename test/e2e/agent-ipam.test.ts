// Node IPAM end to end, on a real containerd (agent-fixture.ts): an agent given no pod range
// registers its Node NotReady and waits; a `berth controller-manager` started afterwards assigns
// the Node a range of its --cluster-cidr (this test's reserved subnet, cut into /26s); the
// agent writes its CNI config for it and pods get addresses inside it. Nodes created through
// the API get the other ranges; when none is left a Node gets a CIDRNotAvailable event, and
// deleting a Node hands its range to the one waiting.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1';
import { cidrContains, parseCidr, parseIp } from '../../src/api/cidr.js';
import { BERTH, eventually, kubectl, skipIfMissing, type RunningServer } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, serverCidrArgs, startAgentEnv, type AgentEnv } from './agent-fixture.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the node IPAM e2e test');

const MASK = 26;

/** eventually() for a value: the first one fn gives that isn't undefined. */
async function until<T>(fn: () => T | undefined, what: string, timeoutMs?: number): Promise<T> {
  return (await eventually(fn, what, timeoutMs)) as T;
}
const within = (cidr: string, ip: string) => cidrContains(parseCidr(cidr), parseIp(ip)!);

describe('node IPAM: the control plane assigns each node its podCIDR', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  let cm: ChildProcess | undefined;
  let cmOutput = '';
  /** What the node looked like while the agent waited, before any controller manager ran. */
  let waiting: { node: Node; agentOutput: string } | undefined;

  const getNode = (s: RunningServer, name: string): Node | undefined => {
    const r = kubectl(s, ['get', 'node', name, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as Node) : undefined;
  };
  const cidrOf = (name: string) => getNode(env.server, name)?.spec?.podCIDR;
  const createNode = (name: string) => {
    const r = kubectl(env.server, ['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name } }) });
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    env = await startAgentEnv({
      nodeName: 'ipam-node',
      // No controller manager in the server: nothing assigns ranges until this test starts one.
      serverArgs: () => ['--disable-controller-manager'],
      async whileStarting({ server, cidr, agentOutput }) {
        const node = await until(
          () => {
            const n = getNode(server, 'ipam-node');
            return n?.status?.conditions?.some((c) => c.type === 'Ready') && /waiting for the control plane to assign/.test(agentOutput()) ? n : undefined;
          },
          'the agent registered its node and waits for a podCIDR',
          60_000,
        );
        // Still none a moment later: it really waits.
        await new Promise((r) => setTimeout(r, 1500));
        waiting = { node: getNode(server, 'ipam-node') ?? node, agentOutput: agentOutput() };
        // With the cluster CA, as kube-controller-manager's signer: the agent's serving CSR gets issued.
        const pki = join(server.dataDir, 'pki');
        cm = spawn(
          process.execPath,
          [
            BERTH,
            'controller-manager',
            '--kubeconfig',
            server.kubeconfig,
            ...serverCidrArgs(cidr, MASK),
            '--cluster-signing-cert-file',
            join(pki, 'ca.crt'),
            '--cluster-signing-key-file',
            join(pki, 'ca.key'),
          ],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        cm.stdout!.on('data', (d) => (cmOutput += d));
        cm.stderr!.on('data', (d) => (cmOutput += d));
      },
    });
  });

  after(async () => {
    if (cm && cm.exitCode === null) {
      cm.kill('SIGTERM');
      await new Promise((r) => cm!.once('exit', r));
    }
    if (process.env.BERTH_E2E_VERBOSE) process.stderr.write(cmOutput);
    await env?.stop();
  });

  test('an agent given no range registers its Node without one, NotReady in kubelet words, and waits', () => {
    assert.ok(waiting, 'observed while waiting');
    assert.equal(waiting.node.spec?.podCIDR, undefined);
    const ready = waiting.node.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready.status, 'False');
    assert.equal(
      ready.message,
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:no podCIDR assigned to this node yet',
    );
    assert.doesNotMatch(waiting.agentOutput, /node ipam-node ready/);
  });

  test('the controller manager assigns the node a range of its --cluster-cidr; the node turns Ready and pods get addresses in it', async () => {
    const node = await until(() => {
      const n = getNode(env.server, env.nodeName);
      return n?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    }, 'node Ready');
    const cidr = node.spec!.podCIDR!;
    assert.match(cidr, new RegExp(`/${MASK}$`));
    assert.ok(within(env.cidr, cidr.split('/')[0]!), `${cidr} is inside --cluster-cidr ${env.cidr}`);
    assert.deepEqual(node.spec!.podCIDRs, [cidr]);
    assert.match(cmOutput, new RegExp(`node ${env.nodeName}: podCIDR ${cidr.replace(/\./g, '\\.')}`));
    assert.match(env.runner.output(), new RegExp(`node ${env.nodeName} has podCIDR ${cidr.replace(/\./g, '\\.')}`));

    env.apply(
      ...['ip-a', 'ip-b'].map((name) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { nodeName: env.nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: BUSYBOX, command: ['sleep', '3600'] }] },
      })),
    );
    const pods = await until(() => {
      const ps = ['ip-a', 'ip-b'].map((n) => env.getPod(n));
      return ps.every((p) => p.status?.phase === 'Running' && p.status.podIP) ? ps : undefined;
    }, 'both pods Running with an IP');
    for (const p of pods as Pod[]) assert.ok(within(cidr, p.status!.podIP!), `${p.metadata!.name}'s ${p.status!.podIP} is in ${cidr}`);
    assert.notEqual(pods[0]!.status!.podIP, pods[1]!.status!.podIP);
  });

  test('the joined agent got its serving certificate through a kubelet-serving CSR, approved and issued by the controller manager; exec works through it', async () => {
    const r = kubectl(env.server, ['get', 'csr']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\n/);
    assert.match(r.stdout, /\ncsr-\w+\s+\S+\s+kubernetes\.io\/kubelet-serving\s+system:node:ipam-node\s+<none>\s+Approved,Issued\n/);
    assert.match(cmOutput, /approved CertificateSigningRequest csr-\w+: Auto approving kubelet serving certificate: the subject is node ipam-node/);
    // The endpoint serves that certificate: the cluster CA's, for the node.
    const peer = await new Promise<{ authorized: boolean; cn: string; san: string }>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: env.runner.port, ca: env.server.caCert, rejectUnauthorized: false }, () => {
        const c = s.getPeerCertificate();
        resolve({ authorized: s.authorized, cn: String(c.subject?.CN), san: c.subjectaltname ?? '' });
        s.destroy();
      });
      s.on('error', reject);
    });
    assert.deepEqual(peer, { authorized: true, cn: 'system:node:ipam-node', san: 'DNS:ipam-node, IP Address:127.0.0.1' });
    // The admin token opens nothing there: only the API server's client certificate does.
    const withToken = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: env.runner.port,
          path: '/containerLogs/default/ip-a/c',
          ca: env.server.caCert,
          headers: { Authorization: `Bearer ${env.server.token}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(withToken, 401);
    const exec = kubectl(env.server, ['exec', 'ip-a', '--', 'hostname']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout.trim(), 'ip-a');
  });

  test('other nodes get the other ranges; a node finding none gets CIDRNotAvailable; deleting a node frees its range for it', async () => {
    const agentCidr = cidrOf(env.nodeName)!;
    // The /24 holds four /26s: the agent's, and three for these.
    for (const n of ['ipam-b', 'ipam-c', 'ipam-d']) createNode(n);
    const ranges = await until(() => {
      const r = ['ipam-b', 'ipam-c', 'ipam-d'].map(cidrOf);
      return r.every(Boolean) ? (r as string[]) : undefined;
    }, 'three more nodes with ranges');
    assert.equal(new Set([agentCidr, ...ranges]).size, 4, `four different ranges: ${[agentCidr, ...ranges].join(' ')}`);
    for (const c of ranges) assert.ok(within(env.cidr, c.split('/')[0]!) && c.endsWith(`/${MASK}`), `${c} is a /${MASK} of ${env.cidr}`);

    createNode('ipam-e');
    const ev = await until(() => {
      const r = kubectl(env.server, ['get', 'events', '-A', '--field-selector', 'involvedObject.name=ipam-e,reason=CIDRNotAvailable', '-o', 'json']);
      return (JSON.parse(r.stdout).items as Event[])[0];
    }, 'a CIDRNotAvailable event for ipam-e');
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.involvedObject.kind, 'Node');
    assert.equal(ev.message, 'Node ipam-e status is now: CIDRNotAvailable');
    assert.equal(cidrOf('ipam-e'), undefined);

    const freed = cidrOf('ipam-c')!;
    assert.equal(kubectl(env.server, ['delete', 'node', 'ipam-c']).code, 0);
    await until(() => cidrOf('ipam-e'), 'ipam-e gets a range once ipam-c is gone');
    assert.equal(cidrOf('ipam-e'), freed);
    assert.equal(cidrOf(env.nodeName), agentCidr, 'the agent node keeps its range');
    for (const n of ['ipam-b', 'ipam-d', 'ipam-e']) kubectl(env.server, ['delete', 'node', n]);
  });
});
