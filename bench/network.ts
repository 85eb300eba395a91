// The `network` suite: pod-to-pod TCP throughput and round-trip time across two nodes over the
// overlay (vxlan), between two pods of one node (the CNI bridge), and over a raw veth between two
// network namespaces (the floor under both), in one run. Nodes are machines of the test LAN
// (test/e2e/machines.ts: network namespaces, a real agent each). The measuring program is node
// itself, run in the pods' network namespaces (chrooted from a hostPath of /: busybox has no
// iperf). Throughput: 256 MiB written as fast as TCP takes it, timed until the receiver has it
// all; RTT: 2 000 one-byte ping-pongs on one connection, median. Medians of RUNS runs.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import type { Pod } from 'kubernetes-types/core/v1';
import { BUSYBOX, missingAgentPrerequisite } from '../test/e2e/agent-fixture.js';
import { eventually, kubectl } from '../test/e2e/harness.js';
import { lanPrerequisiteMissing, startLan, type Lan } from '../test/e2e/machines.js';
import { emit, median, round, type Result } from './common.js';

const RUNS = Number(process.env.BERTH_BENCH_RUNS) || 3;
const MIB = Number(process.env.BERTH_BENCH_MIB) || 256;
const PINGS = 2000;

const SERVER = `const net=require('net');
net.createServer((s)=>{let n=0;s.on('data',(d)=>{n+=d.length});s.on('end',()=>s.end(String(n)))}).listen(5001);
net.createServer((s)=>{s.setNoDelay(true);s.on('data',(d)=>s.write(d))}).listen(5002);`;

const client = (ip: string) => `const net=require('net');const mib=${MIB},pings=${PINGS};
function tput(){return new Promise((res)=>{const s=net.connect(5001,'${ip}');const buf=Buffer.alloc(65536,7);let left=mib*16;const t0=process.hrtime.bigint();
 const pump=()=>{while(left>0){left--;if(!s.write(buf))return s.once('drain',pump)}s.end()};s.on('connect',pump);
 let ack='';s.on('data',(d)=>ack+=d);s.on('end',()=>{const sec=Number(process.hrtime.bigint()-t0)/1e9;res({mbit:Number(ack)*8/sec/1e6,bytes:Number(ack)})})})}
function rtt(){return new Promise((res)=>{const s=net.connect(5002,'${ip}');s.setNoDelay(true);const xs=[];let t0;
 const one=()=>{t0=process.hrtime.bigint();s.write('x')};s.on('connect',one);
 s.on('data',()=>{xs.push(Number(process.hrtime.bigint()-t0)/1e3);if(xs.length<pings)one();else{s.end();xs.sort((a,b)=>a-b);res(xs[xs.length>>1])}})})}
(async()=>{const t=await tput();const r=await rtt();console.log(JSON.stringify({mbit:t.mbit,bytes:t.bytes,rttUs:r}))})();`;

interface Sample {
  mbit: number;
  bytes: number;
  rttUs: number;
}

function parse(r: SpawnSyncReturns<string> | { code: number; stdout: string; stderr: string }, what: string): Sample {
  const out = r.stdout;
  const line = out.trim().split('\n').pop() ?? '';
  try {
    const s = JSON.parse(line) as Sample;
    if (s.bytes !== MIB * 2 ** 20) throw new Error(`received ${s.bytes} bytes of ${MIB * 2 ** 20}`);
    return s;
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}: ${out} ${'stderr' in r ? r.stderr : ''}`);
  }
}

const hostPod = (name: string, node: string, command: string[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { bench: 'network' } },
  spec: {
    nodeName: node,
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'c', image: BUSYBOX, command, volumeMounts: [{ name: 'host', mountPath: '/host', readOnly: true }] }],
    volumes: [{ name: 'host', hostPath: { path: '/' } }],
  },
});

function ok(lan: Lan, args: string[], input?: string): string {
  const r = kubectl(lan.server, args, { input, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Two namespaces joined by a bare veth pair, the server in one: the path without bridge or tunnel. */
function rawVeth(lan: Lan, run: (ip: string) => Sample): Sample {
  const [ns1, ns2] = [`bm${process.pid}-90`, `bm${process.pid}-91`];
  const sh = (...a: string[]) => {
    const r = spawnSync(a[0]!, a.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${a.join(' ')}: ${r.stderr}`);
  };
  const ip1 = `10.215.${lan.k}.1`;
  const ip2 = `10.215.${lan.k}.2`;
  let server: ChildProcess | undefined;
  try {
    sh('ip', 'netns', 'add', ns1);
    sh('ip', 'netns', 'add', ns2);
    sh('ip', 'link', 'add', 'rv0', 'netns', ns1, 'type', 'veth', 'peer', 'name', 'rv1', 'netns', ns2);
    sh('ip', '-n', ns1, 'addr', 'add', `${ip1}/24`, 'dev', 'rv0');
    sh('ip', '-n', ns2, 'addr', 'add', `${ip2}/24`, 'dev', 'rv1');
    for (const [ns, dev] of [
      [ns1, 'rv0'],
      [ns2, 'rv1'],
    ] as const) {
      sh('ip', '-n', ns, 'link', 'set', dev, 'up');
      sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    }
    server = spawn('nsenter', [`--net=/run/netns/${ns2}`, '--', process.execPath, '-e', SERVER], { stdio: 'ignore' });
    spawnSync('sleep', ['0.5']);
    return run(ip2);
  } finally {
    server?.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', ns1]);
    spawnSync('ip', ['netns', 'del', ns2]);
  }
}

export async function networkSuite(): Promise<Result[]> {
  const missing = (await missingAgentPrerequisite()) ?? lanPrerequisiteMissing();
  if (missing) throw new Error(`the network benchmark cannot run: ${missing}`);
  const lan = await startLan({ machines: 2, agentArgs: ['--pod-network', 'vxlan'] });
  try {
    const [a, b] = lan.machines;
    const node = process.execPath;
    ok(
      lan,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          hostPod('srv-b', b!.netns, ['chroot', '/host', node, '-e', SERVER]),
          hostPod('srv-a', a!.netns, ['chroot', '/host', node, '-e', SERVER]),
          hostPod('cli-a', a!.netns, ['sleep', '3600']),
        ],
      }),
    );
    const ipOf = async (n: string) =>
      (await eventually(
        () => {
          const p = JSON.parse(ok(lan, ['get', 'pod', n, '-o', 'json'])) as Pod;
          return p.status?.phase === 'Running' ? p.status.podIP : undefined;
        },
        `${n} running`,
        90_000,
      ))!;
    const [ipB, ipA] = [await ipOf('srv-b'), await ipOf('srv-a')];
    await ipOf('cli-a');
    spawnSync('sleep', ['1']);
    const inPod = (ip: string, what: string) =>
      parse(kubectl(lan.server, ['exec', 'cli-a', '--', 'chroot', '/host', node, '-e', client(ip)], { timeoutMs: 300_000 }), what);
    const inNs = (ip: string) =>
      parse(spawnSync('nsenter', [`--net=/run/netns/bm${process.pid}-90`, '--', node, '-e', client(ip)], { encoding: 'utf8', timeout: 300_000 }), 'raw veth');
    const samples: Record<string, Sample[]> = { 'cross-node (vxlan)': [], 'same node (bridge)': [], 'raw veth': [] };
    for (let i = 0; i < RUNS; i++) {
      samples['cross-node (vxlan)']!.push(inPod(ipB, 'cross-node'));
      samples['same node (bridge)']!.push(inPod(ipA, 'same node'));
      samples['raw veth']!.push(rawVeth(lan, inNs));
      process.stderr.write(`network: run ${i + 1}/${RUNS} done\n`);
    }
    const results: Result[] = [];
    const raw = { mbit: median(samples['raw veth']!.map((s) => s.mbit)), rtt: median(samples['raw veth']!.map((s) => s.rttUs)) };
    for (const [path, xs] of Object.entries(samples)) {
      const mbit = median(xs.map((s) => s.mbit));
      const rtt = median(xs.map((s) => s.rttUs));
      const cross = path.startsWith('cross');
      results.push(
        emit({
          suite: 'network',
          workload: path,
          metric: 'TCP throughput',
          value: round(mbit, 0),
          unit: 'Mbit/s',
          target: cross ? '>= 80 % of raw veth' : undefined,
          note: `${round((100 * mbit) / raw.mbit, 0)} % of raw veth; ${MIB} MiB, median of ${RUNS}`,
        }),
        emit({
          suite: 'network',
          workload: path,
          metric: 'TCP round trip (median)',
          value: round(rtt, 0),
          unit: 'us',
          target: cross ? '<= raw + 50 us' : undefined,
          note: `${round(rtt - raw.rtt, 0)} us over raw veth; ${PINGS} ping-pongs`,
        }),
      );
    }
    return results;
  } finally {
    await lan.cleanUp();
  }
}
