// The README's quickstart as a user runs it: the bundled `berth server` with its embedded node
// agent on a fresh data dir (so the server signs the agent's serving certificate with its CA, the agent starts its containerd,
// builds the local busybox image and gets its podCIDR from the embedded controller manager),
// then the README's kubectl commands. The only departure: the cluster range is a subnet
// reserved for this test, so concurrent test files never share addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { IN_CI, eventually, kubectl, startServer } from './harness.js';
import { BUSYBOX, cleanUpHost, missingAgentPrerequisite, recordHostState, reserveTestSubnet } from './agent-fixture.js';

const missing = await missingAgentPrerequisite();
if (missing && IN_CI) throw new Error(`${missing} (CI must install it)`);
if (missing) process.stderr.write(`skipping the quickstart e2e test: ${missing}\n`);

function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/') as [string, string];
  const n = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const mask = 2 ** 32 - 2 ** (32 - Number(bits));
  return (n(ip) & mask) >>> 0 === (n(net) & mask) >>> 0;
}

test('the README quickstart: berth server runs a real deployment with its embedded agent', { skip: missing ?? false, timeout: 240_000 }, async () => {
  // The server's own agent uses the default bridge and cgroup root; no other test file does.
  assert.ok(!existsSync('/sys/class/net/berth0'), 'a bridge berth0 exists already: another Berth runs on this machine');
  const subnet = reserveTestSubnet();
  const host = recordHostState();
  const server = await startServer({ agent: true, args: ['--cluster-cidr', subnet.cidr, '--node-cidr-mask-size', '24'], timeoutMs: 60_000 });
  let exitCode: number | null = null;
  try {
    // kubectl get nodes -o wide: one Ready node, with the range the controller manager gave it.
    const node = (await eventually(() => {
      const r = kubectl(server, ['get', 'nodes', '-o', 'json']);
      const items = JSON.parse(r.stdout).items as Array<{ metadata: { name: string }; spec: { podCIDR?: string }; status: { conditions: Array<{ type: string; status: string }> } }>;
      const n = items[0];
      return n && n.spec.podCIDR && n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    }, 'the embedded agent\'s node Ready with a podCIDR', 90_000))!;
    assert.equal(node.spec.podCIDR, subnet.cidr, 'the first node gets the first /24 of the cluster range');
    const wide = kubectl(server, ['get', 'nodes', '-o', 'wide']);
    assert.match(wide.stdout, new RegExp(`${node.metadata.name}\\s+Ready`));
    assert.match(wide.stdout, /CONTAINER-RUNTIME[\s\S]*containerd:\/\//);

    // kubectl create deployment hello --image=berth.local/busybox:host --replicas=2 -- sleep 3600
    const created = kubectl(server, ['create', 'deployment', 'hello', `--image=${BUSYBOX}`, '--replicas=2', '--', 'sleep', '3600']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /deployment.apps\/hello created/);
    const pods = (await eventually(() => {
      const r = kubectl(server, ['get', 'pods', '-l', 'app=hello', '-o', 'json']);
      const items = JSON.parse(r.stdout).items as Array<{ metadata: { name: string }; status: { phase?: string; podIP?: string } }>;
      return items.length === 2 && items.every((p) => p.status.phase === 'Running' && p.status.podIP) ? items : undefined;
    }, 'two hello pods Running', 120_000))!;
    const ips = pods.map((p) => p.status.podIP!);
    assert.notEqual(ips[0], ips[1]);
    for (const ip of ips) assert.ok(inCidr(ip, subnet.cidr), `pod IP ${ip} is in the node's range ${subnet.cidr}`);
    const shown = kubectl(server, ['get', 'deploy,pods', '-o', 'wide']);
    assert.match(shown.stdout, /deployment.apps\/hello\s+2\/2\s+2\s+2/);

    // kubectl exec deploy/hello -- hostname: a real process in one of the pods.
    const exec = kubectl(server, ['exec', 'deploy/hello', '--', 'hostname']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.ok(pods.some((p) => p.metadata.name === exec.stdout.trim()), `hostname ${exec.stdout.trim()} is one of the pods' names`);

    // The exec went through the agent's endpoint, whose certificate the server signed with the
    // cluster CA itself (no CSR needed) for the node's name and address.
    const nodeJson = JSON.parse(kubectl(server, ['get', 'node', node.metadata.name, '-o', 'json']).stdout) as { status: { addresses: Array<{ type: string; address: string }>; daemonEndpoints: { kubeletEndpoint: { Port: number } } } };
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
    await eventually(() => (JSON.parse(kubectl(server, ['get', 'pods', '-o', 'json']).stdout).items.length === 0 ? true : undefined), 'the hello pods gone', 90_000);
  } finally {
    exitCode = await server.stop();
    // The server stopped its containerd; what a user's machine would keep (state under the data
    // dir, the bridge, the cgroup root) goes with the test.
    cleanUpHost(host, { dir: server.dataDir, bridge: 'berth0', subnet, cgroupRoot: '/berth' });
    server.cleanup();
  }
  assert.equal(exitCode, 0, `berth server exits 0 on SIGTERM:\n${server.output().slice(-2000)}`);
});
