// The service proxy fed by a real API server: Services and EndpointSlices written with kubectl,
// watched by the proxy's informers (startServiceProxy, as the node agent runs it), programmed into
// a node made of network namespaces (netns-fixture.ts) and reached with real TCP from a pod
// namespace and from outside. Root only; in CI a missing nft or root is a failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RestClient } from '../../src/client/index.js';
import { removeProxyTable, nftRunner, startServiceProxy, type ServiceProxy, type ProxyContext } from '../../src/proxy/index.js';
import { kubectlOk, skipIfMissing, startServer, type RunningServer } from './harness.js';
import { createNodeNetns, httpFrom, netnsMissing, type NodeNetns } from './netns-fixture.js';

const TABLE = 'berth-api';
const skip = skipIfMissing(netnsMissing(), 'the service proxy API tests');
let fx: NodeNetns;
let server: RunningServer;
let client: RestClient;
let proxy: ServiceProxy;
let ctx: ProxyContext;
let prefix: string[];

/** Sync failures (a partial one falls back to a full one, which hides it from traffic). */
const failures: string[] = [];
const log = (m: string) => {
  if (/failed/.test(m)) failures.push(m);
  process.stderr.write(`proxy: ${m}\n`);
};

const backends = (answers: string[]) => new Set(answers.map((a) => a.split(' ')[0]));

function apply(obj: unknown): void {
  kubectlOk(server, ['apply', '-f', '-'], { input: JSON.stringify(obj) });
}

function slice(name: string, svc: string, eps: Array<[ip: string, ready: boolean]>) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: eps.map(([ip, ready]) => ({ addresses: [ip], nodeName: 'api-node', conditions: { ready } })),
  };
}

async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const chainsOf = async () =>
  (await nftRunner({ prefix }).run(['list', 'chains', 'ip']))
    .split('\n')
    .filter((l) => l.includes('chain '))
    .map((l) => l.trim().replace(/^chain (\S+) .*$/, '$1'));

before(async () => {
  if (skip) return;
  fx = createNodeNetns(`bpa${process.pid % 10000}`, 3, { podBase: '10.96.0', podCidr: '10.96.0.0/16', linkBase: '192.168.78' });
  prefix = ['ip', 'netns', 'exec', fx.node];
  server = await startServer({ args: ['--service-cidr', '10.95.0.0/16', '--cluster-dns', '10.95.0.10'] });
  client = new RestClient({ server: server.url, ca: server.caCert, token: server.token });
  await fx.serve(fx.pods[0]!.ns, 'A', 8080);
  await fx.serve(fx.pods[1]!.ns, 'B', 8080);
  ctx = { nodeName: 'api-node', nodeIPs: [fx.nodeIP], clusterCIDR: fx.podCidr, serviceCIDR: '10.95.0.0/16' };
  proxy = await startServiceProxy({ client, context: ctx, table: TABLE, prefix, log });
});

after(async () => {
  await proxy?.stop();
  if (prefix) await removeProxyTable(TABLE, nftRunner({ prefix })).catch(() => undefined);
  client?.close();
  await server?.stop();
  server?.cleanup();
  fx?.dispose();
});

test(
  'a Service and its EndpointSlice written with kubectl are served; a backend made not ready stops within 2 s; a NodePort answers outside',
  { skip },
  async () => {
    apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    const ip = kubectlOk(server, ['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    assert.match(ip, /^10\.95\.\d+\.\d+$/);
    apply(
      slice('web-1', 'web', [
        [fx.pods[0]!.ip, true],
        [fx.pods[1]!.ip, true],
      ]),
    );
    const both = await until('both backends through the ClusterIP', 10_000, async () => {
      const answers = await httpFrom(fx.pods[2]!.ns, `http://${ip}/`, 20, 1000);
      return backends(answers).size === 2 && answers.every((a) => /^[AB] /.test(a)) ? answers : undefined;
    });
    assert.equal(both.length, 20);

    apply(
      slice('web-1', 'web', [
        [fx.pods[0]!.ip, true],
        [fx.pods[1]!.ip, false],
      ]),
    );
    const t0 = Date.now();
    await until('only A', 2000, async () => ((await httpFrom(fx.pods[2]!.ns, `http://${ip}/`, 10, 1000)).every((a) => a.startsWith('A ')) ? true : undefined));
    process.stderr.write(`not-ready backend out of rotation after ${Date.now() - t0} ms\n`);

    apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'np', namespace: 'default' },
      spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    });
    const nodePort = Number(kubectlOk(server, ['get', 'svc', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    apply(slice('np-1', 'np', [[fx.pods[1]!.ip, true]]));
    const out = await until('the NodePort from outside', 10_000, async () => {
      const [a] = await httpFrom(fx.outside, `http://${fx.nodeIP}:${nodePort}/`, 1, 1000);
      return a?.startsWith('B ') ? a : undefined;
    });
    assert.equal(out, `B ${fx.gateway}`);
  },
);

test('a restarted proxy rewrites the same table; deleting the Services leaves no chain of theirs', { skip }, async () => {
  const list = async () => (await nftRunner({ prefix }).run(['list', 'table', 'ip', TABLE])).replace(/\s+expires \S+/g, '');
  await proxy.proxier.idle();
  const beforeRestart = (await chainsOf()).sort();
  assert.ok(
    beforeRestart.some((c) => c.includes('default/web/tcp/http')),
    beforeRestart.join('\n'),
  );
  await proxy.stop();
  proxy = await startServiceProxy({ client, context: ctx, table: TABLE, prefix, log });
  // The new proxy's first sync is a full one, after its informers listed everything.
  await until('the first sync of the new proxy', 10_000, async () => ((await list()).includes('default/np/tcp/http') ? true : undefined));
  await proxy.proxier.idle();
  assert.deepEqual((await chainsOf()).sort(), beforeRestart);

  kubectlOk(server, ['delete', 'svc', 'web', 'np']);
  kubectlOk(server, ['delete', 'endpointslice', 'web-1', 'np-1']);
  await until('no chain of web or np', 5000, async () => ((await chainsOf()).some((c) => /default\/(web|np)\//.test(c)) ? undefined : true));
  const table = await list();
  assert.doesNotMatch(table, new RegExp(fx.pods[0]!.ip.replace(/\./g, '\\.')), 'no element names a backend any more');
  assert.deepEqual(failures, [], 'every sync applied at the first try');
});
