// A node made of network namespaces for tests of the service proxy: a "node" namespace with a
// bridge (the pod network, as the CNI bridge plugin builds it: gateway address, hairpin ports),
// "pod" namespaces on it, and an "outside" namespace linked to the node's address (a client on
// another machine). Nothing leaves the namespaces the fixture creates; dispose() deletes them.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface PodNs {
  ns: string;
  ip: string;
}

export interface NodeNetns {
  node: string;
  outside: string;
  nodeIP: string;
  outsideIP: string;
  gateway: string;
  podCidr: string;
  pods: PodNs[];
  /** Runs a command in a namespace; throws on failure. */
  exec(ns: string, cmd: string[]): string;
  /** An HTTP server in a namespace answering "<name> <client address>" on port. */
  serve(ns: string, name: string, port: number): Promise<ChildProcess>;
  dispose(): void;
}

function sh(cmd: string[], allowFail = false): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Why the fixture cannot run here, or undefined. */
export function netnsMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const c of ['ip', 'nft', 'sysctl'])
    if (spawnSync('sh', ['-c', `PATH=$PATH:/usr/sbin:/sbin command -v ${c}`]).status !== 0) return `${c} is not installed`;
  return undefined;
}

const SERVER = `
const http = require('node:http');
const [name, port] = process.argv.slice(1);
http.createServer((q, s) => { s.setHeader('connection', 'close'); s.end(name + ' ' + q.socket.remoteAddress.replace('::ffff:', '')); })
  .listen(Number(port), '0.0.0.0', () => process.stdout.write('listening\\n'));
`;

/**
 * tag: a short unique word (names of namespaces and links); pods: how many pod namespaces.
 * Pod i gets podBase.(i+2); the gateway is podBase.1; node and outside share 192.168.<n>.0/24.
 */
export function createNodeNetns(tag: string, pods: number, net = { podBase: '10.99.0', podCidr: '10.99.0.0/16', linkBase: '192.168.77' }): NodeNetns {
  const node = `${tag}-node`;
  const outside = `${tag}-out`;
  const created: string[] = [];
  const procs: ChildProcess[] = [];
  const ex = (ns: string, cmd: string[]) => sh(['ip', 'netns', 'exec', ns, ...cmd]);
  const fx: NodeNetns = {
    node,
    outside,
    nodeIP: `${net.linkBase}.1`,
    outsideIP: `${net.linkBase}.2`,
    gateway: `${net.podBase}.1`,
    podCidr: net.podCidr,
    pods: [],
    exec: ex,
    async serve(ns, name, port) {
      const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER, name, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(p);
      await new Promise<void>((res, rej) => {
        let out = '';
        p.stdout!.on('data', (d) => {
          out += d;
          if (out.includes('listening')) res();
        });
        p.stderr!.on('data', (d) => (out += d));
        p.on('exit', (c) => rej(new Error(`server ${name} in ${ns} exited ${c}: ${out}`)));
      });
      return p;
    },
    dispose() {
      for (const p of procs) p.kill('SIGKILL');
      for (const ns of created.reverse()) sh(['ip', 'netns', 'del', ns], true);
    },
  };
  try {
    for (const ns of [node, outside]) {
      sh(['ip', 'netns', 'del', ns], true);
      sh(['ip', 'netns', 'add', ns]);
      created.push(ns);
      ex(ns, ['ip', 'link', 'set', 'lo', 'up']);
    }
    // The node: forwarding on (the CNI bridge plugin turns it on), a bridge with the gateway,
    // the outside link (below).
    ex(node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    ex(node, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    ex(node, ['ip', 'addr', 'add', `${net.podBase}.1/24`, 'dev', 'br0']);
    ex(node, ['ip', 'link', 'set', 'br0', 'up']);
    // The outside machine: one link to the node's address.
    ex(node, ['ip', 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside]);
    ex(node, ['ip', 'addr', 'add', `${fx.nodeIP}/24`, 'dev', 'ext0']);
    ex(node, ['ip', 'link', 'set', 'ext0', 'up']);
    ex(outside, ['ip', 'addr', 'add', `${fx.outsideIP}/24`, 'dev', 'eth0']);
    ex(outside, ['ip', 'link', 'set', 'eth0', 'up']);
    ex(outside, ['ip', 'route', 'add', 'default', 'via', fx.nodeIP]);
    // The node's default route leads outside (as a real node's does), so packets to unknown
    // ClusterIPs are routed and meet the forward hook's checks.
    ex(node, ['ip', 'route', 'add', 'default', 'via', fx.outsideIP]);
    for (let i = 0; i < pods; i++) {
      const ns = `${tag}-p${i}`;
      const ip = `${net.podBase}.${i + 2}`;
      sh(['ip', 'netns', 'del', ns], true);
      sh(['ip', 'netns', 'add', ns]);
      created.push(ns);
      ex(ns, ['ip', 'link', 'set', 'lo', 'up']);
      ex(node, ['ip', 'link', 'add', `veth${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      ex(node, ['ip', 'link', 'set', `veth${i}`, 'master', 'br0']);
      ex(node, ['ip', 'link', 'set', `veth${i}`, 'type', 'bridge_slave', 'hairpin', 'on']);
      ex(node, ['ip', 'link', 'set', `veth${i}`, 'up']);
      ex(ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      ex(ns, ['ip', 'link', 'set', 'eth0', 'up']);
      ex(ns, ['ip', 'route', 'add', 'default', 'via', `${net.podBase}.1`]);
      fx.pods.push({ ns, ip });
    }
  } catch (e) {
    fx.dispose();
    throw e;
  }
  return fx;
}

const CLIENT = `
const http = require('node:http');
const [url, count, timeoutMs] = process.argv.slice(1);
(async () => {
  const out = [];
  for (let i = 0; i < Number(count); i++) {
    out.push(await new Promise((res) => {
      const t0 = Date.now();
      const req = http.get(url, { agent: false, timeout: Number(timeoutMs) }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => res(b)); });
      req.on('timeout', () => { req.destroy(); res('ERR timeout'); });
      req.on('error', (e) => res('ERR ' + (e.code || e.message) + ' ' + (Date.now() - t0) + 'ms'));
    }));
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

const UDP_SERVER = `
const dgram = require('node:dgram');
const [name, port] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(name + ' ' + r.address, r.port, r.address));
s.bind(Number(port), '0.0.0.0', () => process.stdout.write('listening\\n'));
`;

const UDP_CLIENT = `
const dgram = require('node:dgram');
const [host, port, timeoutMs] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const t = setTimeout(() => { process.stdout.write('ERR timeout'); process.exit(0); }, Number(timeoutMs));
s.on('message', (m, r) => { clearTimeout(t); process.stdout.write(r.address === host ? String(m) : 'ERR answer from ' + r.address); process.exit(0); });
s.on('error', (e) => { clearTimeout(t); process.stdout.write('ERR ' + (e.code || e.message)); process.exit(0); });
s.send('hi', Number(port), host);
`;

/** A UDP server in a namespace answering "<name> <client address>" to each datagram. */
export async function serveUdp(ns: string, name: string, port: number): Promise<ChildProcess> {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', UDP_SERVER, name, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((res, rej) => {
    let out = '';
    p.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('listening')) res();
    });
    p.stderr!.on('data', (d) => (out += d));
    p.on('exit', (c) => rej(new Error(`udp server ${name} in ${ns} exited ${c}: ${out}`)));
  });
  return p;
}

/** One UDP datagram to host:port from namespace ns: the answer (from host itself), or "ERR <why>". */
export async function udpFrom(ns: string, host: string, port: number, timeoutMs = 2000): Promise<string> {
  const { stdout } = await execFileAsync('ip', ['netns', 'exec', ns, process.execPath, '-e', UDP_CLIENT, host, String(port), String(timeoutMs)]);
  return stdout;
}

/**
 * count sequential HTTP GETs of url from namespace ns, each on a new connection: bodies or
 * "ERR <code>". Asynchronous, so the proxy under test keeps running meanwhile.
 */
export async function httpFrom(ns: string, url: string, count = 1, timeoutMs = 2000): Promise<string[]> {
  const { stdout } = await execFileAsync('ip', ['netns', 'exec', ns, process.execPath, '-e', CLIENT, url, String(count), String(timeoutMs)]);
  return JSON.parse(stdout) as string[];
}
