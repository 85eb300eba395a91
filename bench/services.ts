// The `services` suite: the service proxy's programming latency. In a network namespace the
// bench creates (nothing else is touched), a Proxier (src/proxy) with its defaults (minSyncPeriod
// 1 s) programs N Services x 10 endpoints through the real `nft`; then one EndpointSlice at a
// time changes (an endpoint replaced), and the time from the change reaching the proxy (as its
// informer delivers it) to the transaction holding it being committed in the kernel is measured,
// p50/p99 over CHANGES changes spaced 1.2 s apart (just over minSyncPeriod, so no change waits
// for the rate limit; a burst would add up to 1 s). Also the time of a full resync (the whole
// table rewritten in one transaction, as at start and every hour). Needs root and nft.
import { spawnSync } from 'node:child_process';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { Proxier, nftRunner, type SyncResult } from '../src/proxy/index.js';
import { endpointDnatMap } from '../src/proxy/model.js';

const ENDPOINT_DNAT = endpointDnatMap('tcp');
import { emit, median, percentile, round, type Result } from './common.js';

const SIZES = (process.env.BERTH_BENCH_SERVICES ?? '1000,10000').split(',').map(Number);
const CHANGES = Number(process.env.BERTH_BENCH_CHANGES) || 20;
const ENDPOINTS = 10;
const TABLE = 'berth-bench';

const ipOf = (n: number) => `10.${64 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
/** Outside ipOf's addresses (10.64-10.65 for 100 000 endpoints). */
const changedIp = (i: number, generation: number) => `10.${100 + (generation % 100)}.${(i >> 8) & 255}.${i & 255}`;

function service(i: number): Service {
  return {
    metadata: { namespace: 'bench', name: `svc-${i}` },
    spec: { type: 'ClusterIP', clusterIP: `10.43.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
  };
}

function slice(i: number, generation: number): EndpointSlice {
  return {
    metadata: { namespace: 'bench', name: `svc-${i}-abcde`, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    // The generation-th change swaps the first endpoint for a new address.
    endpoints: Array.from({ length: ENDPOINTS }, (_, e) => ({
      addresses: [e === 0 && generation ? changedIp(i, generation) : ipOf(i * ENDPOINTS + e)],
      nodeName: 'bench-node',
      conditions: { ready: true },
    })),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function servicesSuite(): Promise<Result[]> {
  if (process.getuid?.() !== 0) throw new Error('the services bench needs root (a network namespace and nftables)');
  const ns = `bsb${process.pid % 100000}`;
  spawnSync('ip', ['netns', 'del', ns]);
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`cannot create network namespace ${ns}`);
  const results: Result[] = [];
  try {
    // nsenter joins the namespace only (ip netns exec also remounts /sys for every call).
    const nft = nftRunner({ prefix: ['nsenter', `--net=/run/netns/${ns}`] });
    for (const n of SIZES) {
      let last: SyncResult | undefined;
      let synced: (() => void) | undefined;
      const proxier = new Proxier({
        nft,
        table: TABLE,
        context: { nodeName: 'bench-node', nodeIPs: ['192.168.200.1'], clusterCIDR: '10.64.0.0/10', serviceCIDR: '10.43.0.0/16' },
        log: (m) => process.stderr.write(`proxy: ${m}\n`),
        onSynced: (s) => {
          last = s;
          synced?.();
        },
      });
      const nextSync = () => new Promise<void>((r) => (synced = r));
      for (let i = 0; i < n; i++) {
        proxier.upsertService(service(i));
        proxier.upsertSlice(slice(i, 0));
      }
      let wait = nextSync();
      proxier.start();
      await wait;
      const first = last!;
      process.stderr.write(`services ${n}: first full sync ${round(first.ms, 0)} ms, ${round(first.bytes / 2 ** 20)} MiB of nft input\n`);

      const latencies: number[] = [];
      for (let c = 1; c <= CHANGES; c++) {
        await sleep(1200);
        const i = Math.floor((c * 7919) % n);
        wait = nextSync();
        const t0 = performance.now();
        proxier.upsertSlice(slice(i, c));
        await wait;
        latencies.push(performance.now() - t0);
        if (last!.full) throw new Error('a partial change was applied by a full sync');
        if (c === CHANGES) {
          // The change really is in the kernel: the new endpoint is in the DNAT map.
          const listed = await nft.run(['list', 'map', 'ip', TABLE, ENDPOINT_DNAT]);
          if (!listed.includes(` : ${changedIp(i, c)} . 8080`)) throw new Error(`${changedIp(i, c)} is not in map ${ENDPOINT_DNAT}`);
        }
      }
      const fulls: number[] = [];
      for (let k = 0; k < 3; k++) {
        await sleep(1200);
        wait = nextSync();
        const t0 = performance.now();
        proxier.setContext({ nodeName: 'bench-node', nodeIPs: ['192.168.200.1'], clusterCIDR: '10.64.0.0/10', serviceCIDR: '10.43.0.0/16' });
        await wait;
        if (!last!.full) throw new Error('expected a full sync');
        fulls.push(performance.now() - t0);
      }
      await proxier.stop();
      const workload = `${n} services x ${ENDPOINTS} endpoints`;
      results.push(
        emit({
          suite: 'services',
          workload,
          metric: 'EndpointSlice change to kernel p50',
          value: round(median(latencies), 0),
          unit: 'ms',
          note: `${CHANGES} changes, 1.2 s apart`,
        }),
        emit({
          suite: 'services',
          workload,
          metric: 'EndpointSlice change to kernel p99',
          value: round(percentile(latencies, 99), 0),
          unit: 'ms',
          target: n >= 10000 ? '<= 1000' : undefined,
          note: `max of ${CHANGES}`,
        }),
        emit({
          suite: 'services',
          workload,
          metric: 'full resync (median of 3)',
          value: round(median(fulls), 0),
          unit: 'ms',
          note: `${round(first.bytes / 2 ** 20)} MiB of nft input; first sync ${round(first.ms, 0)} ms`,
        }),
      );
      await nft.apply(`add table ip ${TABLE}\ndelete table ip ${TABLE}\n`);
    }
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
  return results;
}
