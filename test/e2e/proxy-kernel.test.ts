// The service proxy against the kernel: nftables rules programmed by the Proxier into a node
// made of network namespaces (netns-fixture.ts), with real TCP traffic between pod namespaces.
// Root only; in CI a missing nft or root is a failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice, Endpoint } from 'kubernetes-types/discovery/v1';
import { skipIfMissing } from './harness.js';
import { createNodeNetns, httpFrom, netnsMissing, serveUdp, udpFrom, type NodeNetns } from './netns-fixture.js';
import { Proxier, deleteProxyTable, ensureBridgeNetfilter, nftRunner, type NftRunner, type ProxyContext } from '../../src/proxy/index.js';

const TABLE = 'berth-kt';
const skip = skipIfMissing(netnsMissing(), 'the service proxy kernel tests');
let fx: NodeNetns;
let nft: NftRunner;
let ctx: ProxyContext;
let proxier: Proxier;
// Pods: p0 and p1 serve, p2 is a client.
let A: string, B: string, C: string;

const svcs = new Map<string, Service>();
/** What the proxies logged: a failed sync falls back to a full one, which hides it from traffic. */
const proxyLog: string[] = [];
const log = (m: string) => {
  proxyLog.push(m);
  process.stderr.write(`proxy: ${m}\n`);
};
const slices = new Map<string, EndpointSlice>();

function service(name: string, clusterIP: string, spec: Partial<NonNullable<Service['spec']>> = {}): Service {
  const s: Service = {
    metadata: { namespace: 'kt', name },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }], ...spec },
  };
  svcs.set(name, s);
  proxier.upsertService(s);
  return s;
}

function endpoints(svcName: string, eps: Array<[ip: string, node: string, ready?: boolean]>): void {
  const s: EndpointSlice = {
    metadata: { namespace: 'kt', name: `${svcName}-1`, labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: eps.map(([ip, nodeName, ready]): Endpoint => ({ addresses: [ip], nodeName, conditions: { ready: ready ?? true } })),
  };
  slices.set(svcName, s);
  proxier.upsertSlice(s);
}

const backends = (answers: string[]) => new Set(answers.map((a) => a.split(' ')[0]));

/** The table as a sorted list of its objects and rules (handles and element order left out). */
async function tableShape(): Promise<string[]> {
  const j = JSON.parse(await nft.run(['-j', 'list', 'table', 'ip', TABLE])) as { nftables: Array<Record<string, Record<string, unknown>>> };
  const out: string[] = [];
  for (const item of j.nftables) {
    const [kind, body] = Object.entries(item)[0]!;
    if (kind === 'metainfo') continue;
    const { handle: _h, elem: all, ...rest } = body as { handle?: number; elem?: unknown[]; flags?: string[] };
    // The clients an affinity set remembers are traffic, not rules (a restart forgets them).
    const elem = rest.flags?.includes('timeout') ? undefined : all;
    out.push(
      `${kind} ${JSON.stringify(rest)}${
        elem
          ? ` ${elem
              .map((e) => JSON.stringify(e))
              .sort()
              .join(',')}`
          : ''
      }`,
    );
  }
  return out.sort();
}

before(async () => {
  if (skip) return;
  fx = createNodeNetns(`bpk${process.pid % 10000}`, 3);
  [A, B, C] = fx.pods.map((p) => p.ip) as [string, string, string];
  const prefix = ['ip', 'netns', 'exec', fx.node];
  assert.equal(ensureBridgeNetfilter(prefix), undefined);
  nft = nftRunner({ prefix });
  ctx = { nodeName: 'n1', nodeIPs: [fx.nodeIP], clusterCIDR: fx.podCidr, serviceCIDR: '10.98.0.0/16' };
  proxier = new Proxier({ nft, context: ctx, table: TABLE, log });
  await fx.serve(fx.pods[0]!.ns, 'A', 8080);
  await fx.serve(fx.pods[1]!.ns, 'B', 8080);
  proxier.start();
  await proxier.idle();
});

after(async () => {
  await proxier?.stop();
  fx?.dispose();
});

test('ClusterIP: a pod reaches both backends, chosen at random per connection', { skip }, async () => {
  service('web', '10.98.0.10');
  endpoints('web', [
    [A, 'n1'],
    [B, 'n1'],
  ]);
  await proxier.idle();
  const answers = await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.10/', 40);
  assert.deepEqual(backends(answers), new Set(['A', 'B']), answers.join('\n'));
  // A pod in the pod range keeps its address (no masquerade).
  assert.ok(
    answers.every((a) => a.endsWith(` ${C}`)),
    answers.join('\n'),
  );
});

test('ClusterIP from the node itself (output hook), masqueraded so the reply comes back', { skip }, async () => {
  const answers = await httpFrom(fx.node, 'http://10.98.0.10/', 10);
  assert.ok(
    answers.every((a) => /^[AB] 10\.99\.0\.1$/.test(a)),
    answers.join('\n'),
  );
});

test('a backend removed from the slice stops receiving within 2 s', { skip }, async () => {
  const t0 = Date.now();
  endpoints('web', [[A, 'n1']]);
  let elapsed = -1;
  while (Date.now() - t0 < 5000) {
    const answers = await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.10/', 10);
    if (answers.every((a) => a.startsWith('A '))) {
      elapsed = Date.now() - t0;
      break;
    }
  }
  assert.ok(elapsed >= 0 && elapsed <= 2000, `B still answered after ${Date.now() - t0} ms`);
  // And only A from now on.
  assert.deepEqual(backends(await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.10/', 20)), new Set(['A']));
});

test('a Service without endpoints is rejected at once (connection refused, not a timeout); so is an unused port of a ClusterIP', { skip }, async () => {
  service('empty', '10.98.0.11');
  await proxier.idle();
  for (const ns of [fx.pods[2]!.ns, fx.node]) {
    const [a] = await httpFrom(ns, 'http://10.98.0.11/', 1, 3000);
    assert.match(a!, /^ERR ECONNREFUSED \d+ms$/, `from ${ns}`);
    assert.ok(Number(/(\d+)ms/.exec(a!)![1]) < 1000);
  }
  const [other] = await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.10:81/', 1, 3000);
  assert.match(other!, /^ERR ECONNREFUSED/);
});

test('NodePort on the node address from outside: answered, source masqueraded to the node', { skip }, async () => {
  service('np', '10.98.0.12', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30080 }] });
  endpoints('np', [
    [A, 'n1'],
    [B, 'n1'],
  ]);
  await proxier.idle();
  const answers = await httpFrom(fx.outside, `http://${fx.nodeIP}:30080/`, 30);
  assert.deepEqual(backends(answers), new Set(['A', 'B']), answers.join('\n'));
  assert.ok(
    answers.every((a) => a.endsWith(` ${fx.gateway}`)),
    answers.join('\n'),
  );
  // Not on the node's loopback (upstream nftables mode serves NodePorts on the node's addresses only).
  const [lo] = await httpFrom(fx.node, 'http://127.0.0.1:30080/', 1, 1500);
  assert.match(lo!, /^ERR ECONNREFUSED/);
  // A NodePort Service without endpoints is rejected on the node address.
  service('np-empty', '10.98.0.13', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30081 }] });
  await proxier.idle();
  assert.match((await httpFrom(fx.outside, `http://${fx.nodeIP}:30081/`, 1, 3000))[0]!, /^ERR ECONNREFUSED/);
});

test('sessionAffinity ClientIP keeps a client on one backend', { skip }, async () => {
  service('sticky', '10.98.0.14', { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } });
  endpoints('sticky', [
    [A, 'n1'],
    [B, 'n1'],
  ]);
  await proxier.idle();
  const answers = await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.14/', 20);
  assert.equal(backends(answers).size, 1, answers.join('\n'));
  // Another client may land elsewhere but sticks too.
  assert.equal(backends(await httpFrom(fx.node, 'http://10.98.0.14/', 10)).size, 1);
});

test('hairpin: a pod reaching itself through its Service gets the answer, seen as coming from the node', { skip }, async () => {
  service('self', '10.98.0.15');
  endpoints('self', [[A, 'n1']]);
  await proxier.idle();
  const answers = await httpFrom(fx.pods[0]!.ns, 'http://10.98.0.15/', 5);
  assert.deepEqual(answers, Array(5).fill(`A ${fx.gateway}`));
});

test("Local traffic policies: only this node's endpoints; outside client keeps its source; none local -> dropped", { skip }, async () => {
  // B is claimed by another node: Local policies must not use it.
  service('ext-local', '10.98.0.16', {
    type: 'NodePort',
    externalTrafficPolicy: 'Local',
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30082 }],
  });
  endpoints('ext-local', [
    [A, 'n1'],
    [B, 'n2'],
  ]);
  service('int-local', '10.98.0.17', { internalTrafficPolicy: 'Local' });
  endpoints('int-local', [
    [A, 'n1'],
    [B, 'n2'],
  ]);
  service('int-remote', '10.98.0.18', { internalTrafficPolicy: 'Local' });
  endpoints('int-remote', [[B, 'n2']]);
  await proxier.idle();
  const ext = await httpFrom(fx.outside, `http://${fx.nodeIP}:30082/`, 20);
  assert.deepEqual(ext, Array(20).fill(`A ${fx.outsideIP}`));
  // Pods still reach the ClusterIP of an externally-Local service cluster-wide.
  assert.deepEqual(backends(await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.16/', 30)), new Set(['A', 'B']));
  assert.deepEqual(backends(await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.17/', 20)), new Set(['A']));
  // Endpoints exist, but none here: dropped (a timeout), not rejected.
  assert.deepEqual(await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.18/', 1, 1000), ['ERR timeout']);
});

test('UDP: a datagram to a UDP ClusterIP port reaches the backend and the answer comes back from the ClusterIP', { skip }, async () => {
  const server = await serveUdp(fx.pods[0]!.ns, 'U', 5353);
  try {
    service('dns', '10.98.0.19', { ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 5353 }] });
    const s: EndpointSlice = {
      metadata: { namespace: 'kt', name: 'dns-1', labels: { 'kubernetes.io/service-name': 'dns' } },
      addressType: 'IPv4',
      ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }],
      endpoints: [{ addresses: [A], nodeName: 'n1' }],
    };
    slices.set('dns', s);
    proxier.upsertSlice(s);
    await proxier.idle();
    // udpFrom takes only an answer from the address it sent to (the DNAT undone on the way back).
    assert.equal(await udpFrom(fx.pods[2]!.ns, '10.98.0.19', 53), `U ${C}`);
    assert.equal(await udpFrom(fx.node, '10.98.0.19', 53), `U ${fx.gateway}`);
  } finally {
    server.kill('SIGKILL');
  }
});

test('loadBalancerSourceRanges: traffic to the load-balancer IP from other sources is dropped; NodePort and ClusterIP stay open', { skip }, async () => {
  // As ServiceLB: the load-balancer IP is the node's own address.
  const lb = (ranges?: string[]) => {
    const s: Service = {
      metadata: { namespace: 'kt', name: 'lb' },
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.98.0.20',
        ports: [{ name: 'http', port: 8088, protocol: 'TCP', targetPort: 8080, nodePort: 30083 }],
        ...(ranges ? { loadBalancerSourceRanges: ranges } : {}),
      },
      status: { loadBalancer: { ingress: [{ ip: fx.nodeIP }] } },
    };
    svcs.set('lb', s);
    proxier.upsertService(s);
    return proxier.idle();
  };
  const LB = `http://${fx.nodeIP}:8088/`;
  const open = async (ns: string, url: string, n = 4) => backends(await httpFrom(ns, url, n, 1500));
  const dropped = async (ns: string, url: string) => assert.deepEqual(await httpFrom(ns, url, 1, 1000), ['ERR timeout'], `${url} from ${ns}`);
  const pod = fx.pods[2]!.ns;
  await lb([`${fx.outsideIP}/32`]);
  endpoints('lb', [
    [A, 'n1'],
    [B, 'n1'],
  ]);
  await proxier.idle();
  // Only the outside client is in the range.
  // 20 connections: both backends answer (a miss has odds of 2^-19).
  assert.deepEqual(await open(fx.outside, LB, 20), new Set(['A', 'B']));
  await dropped(pod, LB);
  await dropped(fx.node, LB);
  // Not subject to the ranges (as upstream): the NodePort and the ClusterIP.
  assert.ok((await open(pod, `http://${fx.nodeIP}:30083/`)).size > 0);
  assert.ok((await open(pod, 'http://10.98.0.20:8088/')).size > 0);
  assert.ok((await open(fx.node, 'http://10.98.0.20:8088/')).size > 0);
  // Changed in place (a partial sync): now the pods' range, host bits and padding as the API allows them.
  await lb([' 10.99.3.4/16 ']);
  assert.ok((await open(pod, LB)).size > 0);
  await dropped(fx.outside, LB);
  // A range holding the node's address: the node reaches its own load-balancer IP; pods do not.
  await lb([`${fx.nodeIP}/32`]);
  assert.ok((await open(fx.node, LB)).size > 0);
  await dropped(pod, LB);
  await dropped(fx.outside, LB);
  // No ranges: open to all, and no firewall chain left.
  await lb();
  for (const ns of [pod, fx.outside, fx.node]) assert.ok((await open(ns, LB)).size > 0, `from ${ns}`);
  assert.deepEqual(
    (await tableShape()).filter((l) => /firewall-[0-9A-F]{8}/.test(l)),
    [],
  );
  await lb([`${fx.outsideIP}/32`]);
  await dropped(pod, LB);
});

test('a restarted proxy ends with exactly the same table; deleting everything leaves no service rule; cleanup removes the table', { skip }, async () => {
  const beforeRestart = await tableShape();
  await proxier.stop();
  // While no proxy runs, the rules stay: traffic keeps flowing.
  assert.deepEqual(backends(await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.10/', 3)), new Set(['A']));
  proxier = new Proxier({ nft, context: ctx, table: TABLE, log });
  for (const s of svcs.values()) proxier.upsertService(s);
  for (const s of slices.values()) proxier.upsertSlice(s);
  proxier.start();
  await proxier.idle();
  assert.deepEqual(await tableShape(), beforeRestart);
  assert.deepEqual(backends(await httpFrom(fx.pods[2]!.ns, 'http://10.98.0.10/', 3)), new Set(['A']));

  for (const s of slices.values()) proxier.deleteSlice(s);
  for (const s of svcs.values()) proxier.deleteService(s);
  await proxier.idle();
  const shape = await tableShape();
  assert.deepEqual(
    shape.filter((l) => /(service|endpoint|external|local|affinity|firewall)-[0-9A-F]{8}/.test(l)),
    [],
  );
  const withElements = shape.filter((l) => /^(set|map) /.test(l) && / \{/.test(l.slice(l.lastIndexOf('}') + 1)));
  assert.deepEqual(withElements, [], 'no element left in any map or set but the node addresses');
  const emptyProxier = shape
    .filter((l) => l.startsWith('chain '))
    .map((l) => JSON.parse(l.slice(6)).name)
    .sort();
  assert.deepEqual(emptyProxier, [
    'cluster-ips-check',
    'filter-forward',
    'filter-input',
    'filter-output',
    'filter-output-post-dnat',
    'filter-prerouting',
    'firewall-check',
    'mark-for-masquerade',
    'masquerading',
    'nat-output',
    'nat-postrouting',
    'nat-prerouting',
    'nodeport-endpoints-check',
    'reject-chain',
    'service-endpoints-check',
    'services',
  ]);
  await proxier.stop();

  assert.equal(await deleteProxyTable(nft, TABLE), true);
  assert.doesNotMatch(await nft.run(['list', 'tables']), new RegExp(`\\b${TABLE}\\b`));
  assert.equal(await deleteProxyTable(nft, TABLE), false, 'a second cleanup finds nothing and does not fail');
  assert.deepEqual(
    proxyLog.filter((l) => /failed/.test(l)),
    [],
    'every sync of this file applied at the first try',
  );
  assert.equal(proxyLog.filter((l) => l.startsWith(`table ip ${TABLE}: wrote `)).length, 2, 'one full sync per proxy start');
});
