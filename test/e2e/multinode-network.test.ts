// The pod network across nodes, with real containers on three "machines" (network namespaces
// on a test LAN, see machines.ts), each a real `berth agent --pod-network vxlan` with its own
// containerd: pods reach pods on other nodes by pod IP (TCP and UDP, not masqueraded), and the
// outside (masqueraded); a Node deleted takes its routes from the others; an agent killed with
// -9 and restarted keeps the network and its pods; anti-affinity spreads a Deployment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { eventually, kubectl, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite } from './agent-fixture.js';
import { lanPrerequisiteMissing, startLan, type Lan, type Machine } from './machines.js';

const ANN = 'network.berth.dev/';
const UDP_ECHO = "const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+m+' from '+r.address,r.port,r.address));s.bind(9000)";
const udpAsk = (ip: string, msg: string) =>
  `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{console.log(String(m));process.exit(0)});s.send('${msg}',9000,'${ip}');setTimeout(()=>process.exit(3),5000)`;

/** busybox httpd's REMOTE_ADDR is IPv4-mapped ([::ffff:a.b.c.d]). */
const v4 = (s: string) =>
  s
    .trim()
    .replace(/^\[?::ffff:/, '')
    .replace(/\]$/, '');

// Each pod: an 8 KB file and a CGI that answers with the client's address over HTTP; beside it
// a UDP echo server (busybox's nc has no UDP: node from the host, chrooted, in the pod's network).
const POD_SCRIPT = [
  'mkdir -p /www/cgi-bin',
  'head -c 8192 /dev/urandom > /www/body',
  `printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /www/cgi-bin/ip`,
  'chmod +x /www/cgi-bin/ip',
  'httpd -p 8080 -h /www',
  'exec sleep 3600',
].join('; ');

function ok(lan: Lan, args: string[], input?: string): string {
  const r = kubectl(lan.server, args, { input, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function exec(lan: Lan, pod: string, script: string, container = 'c'): { code: number; out: string; err: string } {
  const r = kubectl(lan.server, ['exec', pod, '-c', container, '--', 'sh', '-c', script], { timeoutMs: 30_000 });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

function getNode(lan: Lan, name: string): Node {
  return JSON.parse(ok(lan, ['get', 'node', name, '-o', 'json'])) as Node;
}

function podsOf(lan: Lan, selector: string): Pod[] {
  return (JSON.parse(ok(lan, ['get', 'pods', '-l', selector, '-o', 'json'])) as { items: Pod[] }).items;
}

/** Routes, neighbours and FDB entries on a machine's VXLAN device. */
function overlayState(m: Machine): string {
  return ['ip route show dev berth.1', 'ip neigh show dev berth.1', 'bridge fdb show dev berth.1'].map((c) => m.run('sh', '-c', c).out).join('\n');
}

test('pod network across 3 nodes (vxlan)', { timeout: 240_000 }, async (t) => {
  const missing = (await missingAgentPrerequisite()) ?? lanPrerequisiteMissing();
  if (skipIfMissing(missing, 'multi-node network', t)) return;
  const started = Date.now();
  const lan = await startLan({ machines: 3, agentArgs: ['--pod-network', 'vxlan'] });
  let outside: ChildProcess | undefined;
  try {
    const [a, b, c] = lan.machines as [Machine, Machine, Machine];

    await t.test('every node publishes its VTEP, gets routes to the others, NetworkUnavailable=False', async () => {
      const nodes = (await eventually(
        (): Node[] | undefined => {
          const ns = lan.machines.map((m) => getNode(lan, m.netns));
          for (const n of ns) {
            const cond = n.status?.conditions?.find((x) => x.type === 'NetworkUnavailable');
            const ready = n.status?.conditions?.find((x) => x.type === 'Ready');
            if (cond?.status !== 'False' || ready?.status !== 'True') return undefined;
          }
          return ns;
        },
        'nodes Ready with NetworkUnavailable=False',
        60_000,
      ))!;
      for (const [i, n] of nodes.entries()) {
        const m = lan.machines[i]!;
        const ann = n.metadata!.annotations!;
        assert.equal(ann[`${ANN}backend-type`], 'vxlan');
        assert.equal(ann[`${ANN}public-ip`], m.ip);
        const link = JSON.parse(m.run('ip', '-j', '-d', 'link', 'show', 'berth.1').out)[0];
        assert.equal(ann[`${ANN}vtep-mac`], link.address, 'the published MAC is the device MAC');
        assert.equal(link.linkinfo.info_data.id, 1);
        assert.equal(link.linkinfo.info_data.port, 8472);
        assert.equal(link.linkinfo.info_data.learning, false);
        assert.equal(link.mtu, 1500 - 50);
        assert.equal(n.status?.conditions?.find((x) => x.type === 'NetworkUnavailable')?.reason, 'BerthIsUp');
        // One route, neighbour and FDB entry per other node, none for itself.
        const state = overlayState(m);
        for (const [j, other] of nodes.entries()) {
          const cidr = other.spec!.podCIDR!;
          const gw = cidr.replace(/\.\d+\/\d+$/, `.${cidr.split('/')[0]!.split('.')[3]}`);
          if (i === j) {
            assert.ok(!state.includes(`${cidr} via`), `${m.netns} has no route to its own range:\n${state}`);
            continue;
          }
          assert.match(state, new RegExp(`${cidr.replace(/\./g, '\\.')} via ${gw.replace(/\./g, '\\.')} onlink`), `${m.netns} routes ${cidr}:\n${state}`);
          assert.ok(state.includes(`${gw} lladdr ${other.metadata!.annotations![`${ANN}vtep-mac`]} PERMANENT`), `${m.netns} neighbour ${gw}:\n${state}`);
          assert.ok(
            state.includes(`${other.metadata!.annotations![`${ANN}vtep-mac`]} dst ${lan.machines[j]!.ip} self permanent`),
            `${m.netns} fdb for ${other.metadata!.name}:\n${state}`,
          );
        }
      }
    });

    // The 3 pods used below: one per node, by required anti-affinity.
    ok(
      lan,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'net' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'net' } },
          template: {
            metadata: { labels: { app: 'net' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'net' } }, topologyKey: 'kubernetes.io/hostname' }],
                },
              },
              containers: [
                { name: 'c', image: BUSYBOX, command: ['sh', '-c', POD_SCRIPT] },
                {
                  name: 'udp',
                  image: BUSYBOX,
                  command: ['chroot', '/host', process.execPath, '-e', UDP_ECHO],
                  volumeMounts: [{ name: 'host', mountPath: '/host', readOnly: true }],
                },
              ],
              volumes: [{ name: 'host', hostPath: { path: '/' } }],
            },
          },
        },
      }),
    );
    let byNode = new Map<string, Pod>();
    await t.test('a 3-replica Deployment with required anti-affinity lands one pod per node', async () => {
      const pods = (await eventually(
        (): Pod[] | undefined => {
          const ps = podsOf(lan, 'app=net');
          return ps.length === 3 && ps.every((p) => p.status?.phase === 'Running' && p.status.podIP) ? ps : undefined;
        },
        '3 pods running',
        90_000,
      ))!;
      byNode = new Map(pods.map((p) => [p.spec!.nodeName!, p]));
      assert.deepEqual([...byNode.keys()].sort(), lan.machines.map((m) => m.netns).sort());
      for (const m of lan.machines) {
        const cidr = getNode(lan, m.netns).spec!.podCIDR!;
        const ip = byNode.get(m.netns)!.status!.podIP!;
        assert.equal(ip.split('.').slice(0, 3).join('.'), cidr.split('.').slice(0, 3).join('.'), `pod IP ${ip} in ${cidr}`);
      }
      // The pods' MTU is the overlay's.
      const mtu = exec(lan, byNode.get(a.netns)!.metadata!.name!, 'cat /sys/class/net/eth0/mtu');
      assert.equal(mtu.out.trim(), '1450');
    });
    const pod = (m: Machine) => byNode.get(m.netns)!;
    const name = (m: Machine) => pod(m).metadata!.name!;
    const ipOf = (m: Machine) => pod(m).status!.podIP!;

    await t.test('a pod on node A fetches 8 KB by pod IP from a pod on node C, not masqueraded', async () => {
      const want = exec(lan, name(c), 'md5sum < /www/body').out.split(' ')[0];
      const got = exec(lan, name(a), `wget -qO- http://${ipOf(c)}:8080/body | md5sum`);
      assert.equal(got.code, 0, got.err);
      assert.equal(got.out.split(' ')[0], want);
      assert.equal(exec(lan, name(a), `wget -qO- http://${ipOf(c)}:8080/body | wc -c`).out.trim(), '8192');
      const seen = exec(lan, name(a), `wget -qO- http://${ipOf(c)}:8080/cgi-bin/ip`);
      assert.equal(v4(seen.out), ipOf(a), 'node C sees the client pod IP');
    });

    await t.test('UDP both ways between nodes A and C', async () => {
      const ask = (from: Machine, to: Machine, msg: string) => {
        const r = kubectl(lan.server, ['exec', name(from), '-c', 'udp', '--', 'chroot', '/host', process.execPath, '-e', udpAsk(ipOf(to), msg)], {
          timeoutMs: 30_000,
        });
        assert.equal(r.code, 0, `${msg}: ${r.stderr}`);
        return r.stdout.trim();
      };
      // A's datagram reaches C, C's answer reaches A; and the other way round. The peer sees the pod IP.
      assert.equal(ask(a, c, 'from-a'), `echo:from-a from ${ipOf(a)}`);
      assert.equal(ask(c, a, 'from-c'), `echo:from-c from ${ipOf(c)}`);
    });

    await t.test('pods on one node reach each other', async () => {
      ok(lan, [
        'run',
        'peer',
        `--image=${BUSYBOX}`,
        '--restart=Never',
        `--overrides=${JSON.stringify({ spec: { nodeName: a.netns, terminationGracePeriodSeconds: 1 } })}`,
        '--',
        'sleep',
        '3600',
      ]);
      await eventually(
        () => (JSON.parse(ok(lan, ['get', 'pod', 'peer', '-o', 'json'])) as Pod).status?.phase === 'Running' || undefined,
        'peer running',
        60_000,
      );
      const seen = exec(lan, 'peer', `wget -qO- http://${ipOf(a)}:8080/cgi-bin/ip`, 'peer');
      assert.equal(seen.code, 0, seen.err);
      const peerIp = (JSON.parse(ok(lan, ['get', 'pod', 'peer', '-o', 'json'])) as Pod).status!.podIP!;
      assert.equal(v4(seen.out), peerIp);
    });

    await t.test("traffic to outside the pod network is masqueraded behind the node's IP", async () => {
      // In a process of its own: kubectl below blocks this one's event loop. It answers with the client's address.
      outside = spawn(
        process.execPath,
        [
          '-e',
          `const s=require('http').createServer((q,r)=>r.end(q.socket.remoteAddress+'\\n'));s.listen(0,'${lan.hostIp}',()=>console.log('port='+s.address().port))`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const port = await new Promise<number>((resolve) => outside!.stdout!.on('data', (d) => resolve(Number(/port=(\d+)/.exec(String(d))?.[1]))));
      const r = exec(lan, name(b), `wget -qO- http://${lan.hostIp}:${port}/`);
      assert.equal(r.code, 0, r.err);
      assert.equal(v4(r.out), b.ip, "the outside sees the node's IP, not the pod's");
    });

    await t.test('an agent killed with -9 and restarted keeps the network and its pods', async () => {
      const before = pod(b);
      const cidrB = getNode(lan, b.netns).spec!.podCIDR!;
      const macB = getNode(lan, b.netns).metadata!.annotations![`${ANN}vtep-mac`];
      await b.killAgent();
      // While its agent is down the node's pods stay reachable.
      const down = exec(lan, name(a), `wget -qO- http://${ipOf(b)}:8080/cgi-bin/ip`);
      assert.equal(v4(down.out), ipOf(a), down.err);
      await b.startAgent(['--pod-network', 'vxlan']);
      const n = getNode(lan, b.netns);
      assert.equal(n.spec!.podCIDR, cidrB);
      assert.equal(n.metadata!.annotations![`${ANN}vtep-mac`], macB, 'the restarted agent kept its VXLAN device');
      const after = JSON.parse(ok(lan, ['get', 'pod', name(b), '-o', 'json'])) as Pod;
      assert.equal(after.metadata!.uid, before.metadata!.uid);
      assert.equal(after.status!.podIP, ipOf(b));
      assert.equal(after.status!.containerStatuses![0]!.restartCount, 0);
      assert.equal(after.status!.containerStatuses![0]!.containerID, before.status!.containerStatuses![0]!.containerID);
      const up = exec(lan, name(c), `wget -qO- http://${ipOf(b)}:8080/cgi-bin/ip`);
      assert.equal(v4(up.out), ipOf(c), up.err);
      const back = exec(lan, name(b), `wget -qO- http://${ipOf(a)}:8080/cgi-bin/ip`);
      assert.equal(v4(back.out), ipOf(b), back.err);
    });

    await t.test('deleting a Node removes its route, neighbour and FDB entry from the others within seconds', async () => {
      const gone = getNode(lan, c.netns);
      const cidr = gone.spec!.podCIDR!;
      const mac = gone.metadata!.annotations![`${ANN}vtep-mac`]!;
      // Its agent stopped first (it would register the Node again); its pods keep running.
      await c.stopAgent();
      for (const m of [a, b]) assert.ok(overlayState(m).includes(cidr));
      const t0 = Date.now();
      ok(lan, ['delete', 'node', c.netns, '--wait=false']);
      for (const m of [a, b]) {
        await eventually(
          () => {
            const s = overlayState(m);
            return !s.includes(cidr) && !s.includes(mac) ? true : undefined;
          },
          `${m.netns} dropped ${c.netns}'s entries`,
          5_000,
        );
      }
      t.diagnostic(`entries of the deleted node removed from both others in ${Date.now() - t0} ms`);
      // A and B keep reaching each other.
      const r = exec(lan, name(a), `wget -qO- http://${ipOf(b)}:8080/cgi-bin/ip`);
      assert.equal(v4(r.out), ipOf(a), r.err);
    });
    t.diagnostic(`total ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    if (process.env.BERTH_E2E_VERBOSE) for (const m of lan.machines) process.stderr.write(`--- ${m.netns}\n${m.agentOutput().slice(-4000)}\n`);
    outside?.kill();
    await lan.cleanUp();
  }
});

test('pod network across 2 nodes (host-gw): plain routes via the node IPs, no VXLAN device', { timeout: 120_000 }, async (t) => {
  const missing = (await missingAgentPrerequisite()) ?? lanPrerequisiteMissing();
  if (skipIfMissing(missing, 'multi-node network', t)) return;
  const lan = await startLan({ machines: 2, agentArgs: ['--pod-network', 'host-gw'] });
  try {
    const [a, b] = lan.machines as [Machine, Machine];
    const nodes = (await eventually(
      (): Node[] | undefined => {
        const ns = lan.machines.map((m) => getNode(lan, m.netns));
        return ns.every((n) => n.status?.conditions?.find((x) => x.type === 'NetworkUnavailable')?.status === 'False') ? ns : undefined;
      },
      'NetworkUnavailable=False on both nodes',
      60_000,
    ))!;
    assert.equal(nodes[0]!.metadata!.annotations![`${ANN}backend-type`], 'host-gw');
    assert.equal(nodes[0]!.metadata!.annotations![`${ANN}vtep-mac`], undefined);
    assert.equal(a.run('ip', 'link', 'show', 'berth.1').code, 1, 'no VXLAN device');
    assert.match(a.run('ip', 'route', 'show', nodes[1]!.spec!.podCIDR!).out, new RegExp(`via ${b.ip.replace(/\./g, '\\.')} dev eth0`));
    const pin = (m: Machine, n: string) =>
      ok(lan, [
        'run',
        n,
        `--image=${BUSYBOX}`,
        '--restart=Never',
        `--overrides=${JSON.stringify({ spec: { nodeName: m.netns, terminationGracePeriodSeconds: 1 } })}`,
        '--',
        'sh',
        '-c',
        POD_SCRIPT,
      ]);
    pin(a, 'pa');
    pin(b, 'pb');
    const ip = async (n: string) =>
      (await eventually(() => (JSON.parse(ok(lan, ['get', 'pod', n, '-o', 'json'])) as Pod).status?.podIP, `${n} has an IP`, 60_000))!;
    const [ipa, ipb] = [await ip('pa'), await ip('pb')];
    // The pods' MTU is the interface's: nothing is encapsulated.
    assert.equal(exec(lan, 'pa', 'cat /sys/class/net/eth0/mtu', 'pa').out.trim(), '1500');
    const seen = await eventually(() => v4(exec(lan, 'pa', `wget -qO- http://${ipb}:8080/cgi-bin/ip`, 'pa').out) || undefined, 'pa reaches pb', 20_000);
    assert.equal(seen, ipa);
  } finally {
    await lan.cleanUp();
  }
});
