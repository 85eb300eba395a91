// Services end to end on a real node (agent-fixture.ts: containerd, runc, the CNI bridge, the
// agent's service proxy in an nftables table of its own and its cluster DNS server): a
// Deployment of two busybox httpd pods behind a ClusterIP Service, found by name from a client
// pod through kube-dns (the proxy sends the cluster DNS address to the node's own DNS server),
// answered by both backends, from the node too; ClientIP affinity, hairpin, a pod made NotReady
// dropped from the rotation, a headless Service, a pod's hostname.subdomain name, and an
// ExternalName whose target only the node's upstream resolver (the test's, on loopback) knows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod, Service } from 'kubernetes-types/core/v1';
import { fakeUpstream, type FakeUpstream } from '../../src/dns/testing.js';
import { eventually, kubectl, kubectlAsync, kubectlOk, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite, startAgentEnv, type AgentEnv } from './agent-fixture.js';
import { nslookupAddresses } from './nslookup.js';

const missing = skipIfMissing(await missingAgentPrerequisite(), 'the service traffic e2e test');

// The node's upstream resolver: a loopback address of its own, so no other test's answers.
const UPSTREAM_HOST = `127.0.${randomInt(1, 250)}.${randomInt(2, 250)}`;
const EXTERNAL_TARGET = 'files.example.test';
const EXTERNAL_ADDRESS = '192.0.2.44';

/** busybox httpd serving the pod's own name; Ready while /tmp/ready exists. */
const webContainer: Container = {
  name: 'httpd',
  image: BUSYBOX,
  command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www'],
  ports: [{ name: 'http', containerPort: 8080 }],
  readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
};

/** A shell command printing the body's last line of GET http://host:port/ (HTTP/1.0, so the server closes). */
const httpGet = (host: string, port: number) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} ${port} | tail -1`;
const service = (name: string, spec: Service['spec']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });
const sleeper = (name: string, spec: Partial<Pod['spec']> = {}, labels?: Record<string, string>): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: BUSYBOX, command: ['sleep', '3600'] }], ...spec },
  }) as Pod;

describe('Services, the service proxy and cluster DNS with real pods', { skip: missing ?? false }, () => {
  let env: AgentEnv;
  let upstream: FakeUpstream;
  let dir: string;
  const sh = (pod: string, script: string) => kubectlOk(env.server, ['exec', pod, '--', 'sh', '-c', script], { timeoutMs: 30_000 });
  const clusterIP = (name: string, namespace = 'default') =>
    (JSON.parse(kubectlOk(env.server, ['get', 'svc', name, '-n', namespace, '-o', 'json'])) as Service).spec!.clusterIP!;
  const podIP = (name: string) => env.getPod(name).status?.podIP;
  const webPods = () =>
    (JSON.parse(kubectlOk(env.server, ['get', 'pods', '-l', 'app=web', '-o', 'json'])).items as Pod[]).filter((p) => !p.metadata!.deletionTimestamp);
  /** The addresses busybox nslookup gives for name (A records), asked through the pod's resolv.conf. */
  const lookup = (pod: string, name: string): string[] =>
    nslookupAddresses(kubectl(env.server, ['exec', pod, '--', 'nslookup', '-type=a', name], { timeoutMs: 30_000 }).stdout);
  /** The same without blocking this process, which runs the node's upstream resolver. */
  const lookupAsync = async (pod: string, name: string) => {
    const r = await kubectlAsync(env.server, ['exec', pod, '--', 'nslookup', '-type=a', name], { timeoutMs: 30_000 });
    return { addresses: nslookupAddresses(r.stdout), said: r.stdout + r.stderr };
  };
  /**
   * n GETs of http://ip:port/ from a pod; each answer is a backend's pod name. With busybox's nc:
   * busybox-static's wget crashes in glibc's static NSS for port 80 (it looks the port up).
   */
  const fetchFrom = (pod: string, ip: string, n: number, port = 80) =>
    sh(pod, `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); ${httpGet(ip, port)} || echo FAILED; done`)
      .trim()
      .split('\n');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-svc-traffic-'));
    upstream = await fakeUpstream((q) => {
      if (q.name === EXTERNAL_TARGET && q.type === 'A') return { answers: [{ type: 'A', name: q.name, ttl: 60, data: EXTERNAL_ADDRESS }] };
      return {
        rcode: 3,
        authorities: [{ type: 'SOA', name: 'example.test', ttl: 60, data: { mname: 'ns.example.test', rname: 'h.example.test', minimum: 60 } }],
      };
    }, UPSTREAM_HOST);
    writeFileSync(join(dir, 'resolv.conf'), `nameserver ${UPSTREAM_HOST}\n`);
    env = await startAgentEnv({ nodeName: 'svc-node', agentOptions: { resolvConf: join(dir, 'resolv.conf'), dns: { upstreamPort: upstream.port } } });
    env.apply(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 1, containers: [webContainer] } },
        },
      },
      // A named targetPort: resolved per pod by the EndpointSlice controller.
      service('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }),
      service('web-sticky', { selector: { app: 'web' }, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 8080 }] }),
      service('web-headless', { selector: { app: 'web' }, clusterIP: 'None', ports: [{ port: 8080 }] }),
      service('db', { selector: { app: 'db' }, clusterIP: 'None', ports: [{ port: 5432 }] }),
      service('ext', { type: 'ExternalName', externalName: EXTERNAL_TARGET }),
      sleeper('client'),
      sleeper('db-0', { hostname: 'db-0', subdomain: 'db' }, { app: 'db' }),
    );
    await eventually(
      () =>
        webPods().filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2 && podIP('client') && podIP('db-0'),
      'two ready web pods, the client and db-0',
      90_000,
    );
  });

  after(async () => {
    await env?.stop();
    await upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a client pod finds the Service by its DNS names (through the kube-dns ClusterIP) and reaches both backends', async () => {
    const ip = clusterIP('web');
    const names = webPods()
      .map((p) => p.metadata!.name!)
      .sort();
    // The pod's resolv.conf names the cluster DNS address, which only the proxy answers.
    assert.match(sh('client', 'cat /etc/resolv.conf'), new RegExp(`nameserver ${clusterIP('kube-dns', 'kube-system').replace(/\./g, '\\.')}`));
    assert.deepEqual(lookup('client', 'web.default.svc.cluster.local'), [ip]);
    // The search path (default.svc.cluster.local first) makes the short name work too.
    assert.deepEqual(lookup('client', 'web'), [ip]);
    // By name end to end: resolve, then fetch (busybox wget cannot resolve: static NSS).
    const seen = new Set<string>();
    await eventually(
      () => {
        const out = sh('client', `ip=$(nslookup -type=a web.default.svc.cluster.local | sed -n 's/^Address: *//p' | tail -1); ${httpGet('$ip', 80)}`).trim();
        seen.add(out);
        return names.every((n) => seen.has(n)) || undefined;
      },
      `answers from both ${names.join(' and ')} (seen: ${[...seen].join(', ')})`,
      60_000,
    );
    assert.deepEqual([...seen].sort(), names);
  });

  test('the node itself reaches the ClusterIP (host traffic goes through the proxy too)', async () => {
    const ip = clusterIP('web');
    const names = new Set(webPods().map((p) => p.metadata!.name!));
    const body = await new Promise<string>((resolve, reject) => {
      const req = get({ host: ip, port: 80, path: '/', timeout: 5000 }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b.trim()));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
    assert.ok(names.has(body), `${body} is one of the backends`);
  });

  test('sessionAffinity ClientIP keeps one client on one backend', () => {
    const answers = fetchFrom('client', clusterIP('web-sticky'), 12);
    assert.equal(new Set(answers).size, 1, answers.join(', '));
    assert.ok(
      webPods().some((p) => p.metadata!.name === answers[0]),
      answers[0],
    );
  });

  test('hairpin: a backend reaches itself through its own Service', async () => {
    const self = webPods()[0]!.metadata!.name!;
    const ip = clusterIP('web');
    await eventually(() => fetchFrom(self, ip, 10).includes(self) || undefined, `${self} answered itself through ${ip}`, 30_000);
  });

  test('a headless Service resolves to its ready pods; a pod with hostname and subdomain gets its own name', () => {
    assert.deepEqual(
      lookup('client', 'web-headless.default.svc.cluster.local').sort(),
      webPods()
        .map((p) => p.status!.podIP!)
        .sort(),
    );
    assert.deepEqual(lookup('client', 'db-0.db.default.svc.cluster.local'), [podIP('db-0')]);
    // The pod's own /etc/hosts names it by that FQDN, as kubelet writes it.
    assert.match(sh('db-0', 'cat /etc/hosts'), new RegExp(`${podIP('db-0')!.replace(/\./g, '\\.')}\\s+db-0\\.db\\.default\\.svc\\.cluster\\.local\\s+db-0`));
  });

  test("an ExternalName is a CNAME the node's upstream resolver completes; names outside the cluster go there too", async () => {
    const ext = await lookupAsync('client', 'ext.default.svc.cluster.local');
    assert.deepEqual(ext.addresses, [EXTERNAL_ADDRESS], `${ext.said}; the upstream saw: ${upstream.seen.join(', ')}`);
    assert.match(ext.said, new RegExp(`canonical name = ${EXTERNAL_TARGET.replace(/\./g, '\\.')}`));
    const outside = await lookupAsync('client', `${EXTERNAL_TARGET}.`);
    assert.deepEqual(outside.addresses, [EXTERNAL_ADDRESS], outside.said);
    assert.ok(
      upstream.seen.some((q) => q.startsWith(`${EXTERNAL_TARGET} A`)),
      `the upstream was asked: ${upstream.seen.join(', ')}`,
    );
  });

  test('a pod made NotReady stops receiving traffic within 2 s of its Ready condition turning False', async () => {
    const [a, b] = webPods().map((p) => p.metadata!.name!) as [string, string];
    const ip = clusterIP('web');
    sh(a, 'rm /tmp/ready');
    try {
      await eventually(() => env.getPod(a).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False') || undefined, `${a} NotReady`, 20_000);
      const notReadyAt = Date.now();
      // From then on only b answers: the first run of 10 answers all from b ends the wait.
      await eventually(() => fetchFrom('client', ip, 10).every((n) => n === b) || undefined, `only ${b} answers`, 10_000);
      const took = Date.now() - notReadyAt;
      assert.ok(took <= 2000 + 1000, `traffic left ${a} ${took} ms after it was NotReady (10 requests take time of their own too)`);
      // And it stays so.
      assert.deepEqual(new Set(fetchFrom('client', ip, 10)), new Set([b]));
    } finally {
      sh(a, 'touch /tmp/ready');
    }
    await eventually(() => new Set(fetchFrom('client', ip, 10)).size === 2 || undefined, `${a} back in the rotation`, 20_000);
  });
});
