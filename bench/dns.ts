// `npm run bench -- dns`: queries per second from one client and latency percentiles for
// cluster names, against Berth's DNS server in a process of its own (bench/dns-server.ts).
// One UDP socket keeps WINDOW queries in flight (a busy resolver library or a node-local
// cache in front of it does the same), cycling over A and SRV names of ClusterIP Services and
// A names of headless ones; each run lasts 5 s after a 1 s warm-up; three runs, medians kept.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import * as packet from 'dns-packet';
import { emit, median, percentile, round, type Result } from './common.js';

const SERVICES = 1000;
const WINDOW = 16;
const RUN_MS = 5000;
const WARMUP_MS = 1000;
const RUNS = 3;

function queries(): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < SERVICES; i++) {
    out.push(
      packet.encode({ type: 'query', id: 0, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: `svc-${i}.ns-${i % 50}.svc.cluster.local` }] }),
    );
    if (i % 10 === 0)
      out.push(
        packet.encode({
          type: 'query',
          id: 0,
          flags: packet.RECURSION_DESIRED,
          questions: [{ type: 'SRV', name: `_http._tcp.svc-${i}.ns-${i % 50}.svc.cluster.local` }],
        }),
      );
    if (i % 10 === 5)
      out.push(
        packet.encode({ type: 'query', id: 0, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name: `hl-${i % 100}.ns-0.svc.cluster.local` }] }),
      );
  }
  return out;
}

async function run(port: number, msgs: Buffer[]): Promise<{ qps: number; p50: number; p99: number; lost: number }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const sentAt = new Float64Array(65536);
  const latencies: number[] = [];
  let next = 0;
  let measuring = false;
  let done = false;
  let answered = 0;
  let lost = 0;
  const send = () => {
    const id = next & 0xffff;
    const m = Buffer.from(msgs[next % msgs.length]!);
    m.writeUInt16BE(id, 0);
    next++;
    sentAt[id] = performance.now();
    sock.send(m, port, '127.0.0.1');
  };
  sock.on('message', (m) => {
    const id = m.readUInt16BE(0);
    const t = sentAt[id]!;
    if (!t) return;
    sentAt[id] = 0;
    if (measuring) {
      latencies.push(performance.now() - t);
      answered++;
    }
    if (!done) send();
  });
  // A datagram lost on the way would shrink the window for good: refill what has waited 1 s.
  const refill = setInterval(() => {
    const now = performance.now();
    for (let id = 0; id < sentAt.length; id++) {
      if (sentAt[id] && now - sentAt[id]! > 1000) {
        sentAt[id] = 0;
        lost++;
        if (!done) send();
      }
    }
  }, 500);
  for (let i = 0; i < WINDOW; i++) send();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, RUN_MS));
  measuring = false;
  const elapsed = performance.now() - t0;
  done = true;
  clearInterval(refill);
  await new Promise((r) => setTimeout(r, 100));
  sock.close();
  return { qps: answered / (elapsed / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), lost };
}

export async function dnsSuite(): Promise<Result[]> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'dns-server.ts'), String(SERVICES)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d) => {
        out += d;
        const m = /port (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`DNS server exited with ${code}`)));
    });
    const msgs = queries();
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await run(port, msgs);
      process.stderr.write(`dns run ${i + 1}: ${Math.round(r.qps)} qps, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, ${r.lost} lost\n`);
      runs.push(r);
    }
    const note = `${SERVICES} ClusterIP + 100 headless Services; one UDP client, ${WINDOW} queries in flight; median of ${RUNS} runs of ${RUN_MS / 1000} s`;
    return [
      emit({
        suite: 'dns',
        workload: 'cluster-names',
        metric: 'queries per second',
        value: Math.round(median(runs.map((r) => r.qps))),
        unit: 'qps',
        target: '>= 20000',
        note,
      }),
      emit({ suite: 'dns', workload: 'cluster-names', metric: 'p50 latency', value: round(median(runs.map((r) => r.p50)), 3), unit: 'ms', note }),
      emit({
        suite: 'dns',
        workload: 'cluster-names',
        metric: 'p99 latency',
        value: round(median(runs.map((r) => r.p99)), 3),
        unit: 'ms',
        target: '<= 2',
        note,
      }),
    ];
  } finally {
    proc.kill('SIGKILL');
  }
}
