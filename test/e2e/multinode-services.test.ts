// Services across three nodes, with real containers (machines.ts: each node a network namespace
// on a test LAN running a real `berth agent --pod-network vxlan` with its own containerd, service
// proxy table and cluster DNS server): two busybox httpd backends on nodes A and B behind a
// ClusterIP Service, a client pod on node C finding it by name through the kube-dns ClusterIP
// (answered by C's own DNS server) and reaching both backends across the overlay; the ClusterIP
// and a NodePort answering on C, which runs no backend, from C itself and from outside; a backend
// made NotReady leaving the rotation; a headless Service resolving to the pod IPs on A and B;
// loadBalancerSourceRanges on the ServiceLB addresses (only the allowed source answered);
// an agent killed with -9 and restarted ending with exactly the rules it had (those of a Service
// deleted while it was down gone); deleting the Services leaving nothing of them in any table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Container, Pod, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { eventually, kubectl, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite } from './agent-fixture.js';
import { lanPrerequisiteMissing, startLan, type Lan, type Machine } from './machines.js';

const NS = 'shop';
const TABLE = 'berth';

/** busybox httpd serving the pod's own name, and the client's address at /cgi-bin/ip; Ready while /tmp/ready exists. */
const webContainer: Container = {
  name: 'httpd',
  image: BUSYBOX,
  command: [
    'sh',
    '-c',
    [
      'mkdir -p /www/cgi-bin',
      'hostname > /www/index.html',
      `printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n' > /www/cgi-bin/ip`,
      'chmod +x /www/cgi-bin/ip',
      'touch /tmp/ready',
      'exec httpd -f -p 8080 -h /www',
    ].join(' && '),
  ],
  ports: [{ name: 'http', containerPort: 8080 }],
  readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
};

/** The body's last line of GET http://host:port/path with busybox nc (busybox-static's wget crashes in glibc's static NSS). */
const httpGet = (host: string, port: number, path = '/') => `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} ${port} | tail -1`;

/** busybox httpd's REMOTE_ADDR is IPv4-mapped ([::ffff:a.b.c.d]). */
const v4 = (s: string) =>
  s
    .trim()
    .replace(/^\[?::ffff:/, '')
    .replace(/\]$/, '');

/** n GETs from this process's node binary, in a machine's network namespace (or the root one): one body per line. */
const nodeGets = (host: string, port: number, n: number, path = '/', timeoutMs = 5000) =>
  `const h=require('http');let i=0;const next=()=>{if(i++>=${n})return;` +
  `const q=h.get({host:'${host}',port:${port},path:'${path}',timeout:${timeoutMs},agent:false},(r)=>{let b='';r.on('data',(d)=>b+=d);r.on('end',()=>{console.log(b.trim());next()})});` +
  `q.on('timeout',()=>q.destroy(new Error('timeout')));q.on('error',(e)=>{console.log('ERR '+e.message);next()})};next()`;

const svc = (name: string, spec: Service['spec']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec });

function ok(lan: Lan, args: string[], input?: string): string {
  const r = kubectl(lan.server, args, { input, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function sh(lan: Lan, pod: string, script: string): string {
  const r = kubectl(lan.server, ['exec', '-n', NS, pod, '--', 'sh', '-c', script], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`exec in ${pod}: ${script}: ${r.stderr}`);
  return r.stdout;
}

/** The A records of busybox nslookup's answer for name, asked through the pod's resolv.conf. */
function lookup(lan: Lan, pod: string, name: string): string[] {
  const out = kubectl(lan.server, ['exec', '-n', NS, pod, '--', 'nslookup', '-type=a', name], { timeoutMs: 30_000 }).stdout;
  return [
    ...out
      .split(/\nName:\s/)
      .slice(1)
      .join('\n')
      .matchAll(/Address:\s*([0-9.]+)/g),
  ].map((m) => m[1]!);
}

/** The Service's proxy-related identifiers: its ClusterIP, NodePorts and the ns/name in chain names. */
function svcMarks(s: Service): string[] {
  const marks = [`${NS}/${s.metadata!.name}/`];
  if (s.spec?.clusterIP && s.spec.clusterIP !== 'None') marks.push(`"${s.spec.clusterIP}"`);
  for (const p of s.spec?.ports ?? []) if (p.nodePort) marks.push(`${p.nodePort}`);
  return marks;
}

interface NftObject {
  [kind: string]: { name?: string; chain?: string; expr?: unknown[]; elem?: unknown[]; handle?: number; [k: string]: unknown };
}

/**
 * A machine's proxy table as a sorted list of its objects, independent of what a restart may
 * renumber: handles are left out, elements sorted, and each rule's `numgen ... offset K` (its
 * block of keys in the shared endpoint maps, which a full sync hands out afresh) replaced by the
 * endpoints those keys hold; the endpoint maps themselves are then left out.
 */
function tableShape(m: Machine): string[] {
  const r = m.run('nft', '-j', 'list', 'table', 'ip', TABLE);
  if (r.code !== 0) throw new Error(`nft list table ip ${TABLE} in ${m.netns}: ${r.err}`);
  const items = (JSON.parse(r.out) as { nftables: NftObject[] }).nftables;
  const keyed = new Map<string, Map<number, string>>();
  for (const it of items) {
    const o = it.map;
    if (!o || !/^endpoint-(dnat-|choices)/.test(o.name ?? '')) continue;
    const m = new Map<number, string>();
    for (const e of o.elem ?? []) {
      const [k, v] = e as [number, unknown];
      m.set(k, JSON.stringify(v));
    }
    keyed.set(o.name!, m);
  }
  const out: string[] = [];
  for (const it of items) {
    const [kind, body] = Object.entries(it)[0]!;
    if (kind === 'metainfo') continue;
    const { handle: _h, elem, ...rest } = body;
    if (kind === 'map' && keyed.has(rest.name as string)) {
      out.push(`${kind} ${JSON.stringify(rest)}`);
      continue;
    }
    let text = JSON.stringify(rest);
    if (kind === 'rule') {
      const map = /"@(endpoint-(?:dnat-[a-z]+|choices))"/.exec(text)?.[1];
      text = text.replace(/"numgen":\{"mode":"random","mod":(\d+),"offset":(\d+)\}/, (_s, mod: string, off: string) => {
        const held = keyed.get(map ?? '');
        const targets = Array.from({ length: Number(mod) }, (_x, i) => held?.get(Number(off) + i) ?? 'MISSING');
        return `"numgen":{"mod":${mod},"targets":${JSON.stringify(targets)}}`;
      });
    }
    out.push(
      `${kind} ${text}${
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

test('Services across 3 nodes: DNS, ClusterIP, NodePort, readiness, headless, agent restart, deletion', { timeout: 240_000 }, async (t) => {
  const missing = (await missingAgentPrerequisite()) ?? lanPrerequisiteMissing();
  if (skipIfMissing(missing, 'multi-node services', t)) return;
  const started = Date.now();
  // The LAN's pod range is not k3s's default: the proxies must know it (kube-proxy's
  // --cluster-cidr) to leave pod-to-Service traffic unmasqueraded.
  const lan = await startLan({ machines: 3, agentArgs: ['--pod-network', 'vxlan'], agentArgsOf: (l) => ['--cluster-cidr', l.clusterCidr] });
  const agentArgs = ['--pod-network', 'vxlan', '--cluster-cidr', lan.clusterCidr];
  try {
    const [a, b, c] = lan.machines as [Machine, Machine, Machine];
    const getSvc = (name: string, ns = NS) => JSON.parse(ok(lan, ['get', 'svc', '-n', ns, name, '-o', 'json'])) as Service;
    const pods = (selector: string) => (JSON.parse(ok(lan, ['get', 'pods', '-n', NS, '-l', selector, '-o', 'json'])) as { items: Pod[] }).items;
    const isReady = (p: Pod) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;

    ok(lan, ['create', 'namespace', NS]);
    ok(
      lan,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'web', namespace: NS },
            spec: {
              replicas: 2,
              selector: { matchLabels: { app: 'web' } },
              template: {
                metadata: { labels: { app: 'web' } },
                spec: {
                  terminationGracePeriodSeconds: 1,
                  // One backend on A, one on B; none on C, the client's node.
                  affinity: {
                    nodeAffinity: {
                      requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [a.netns, b.netns] }] }],
                      },
                    },
                    podAntiAffinity: {
                      requiredDuringSchedulingIgnoredDuringExecution: [
                        { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
                      ],
                    },
                  },
                  containers: [webContainer],
                },
              },
            },
          },
          // A named targetPort, resolved per pod.
          svc('web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }),
          svc('web-np', { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }),
          svc('web-headless', { selector: { app: 'web' }, clusterIP: 'None', ports: [{ port: 8080 }] }),
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'client', namespace: NS },
            spec: { nodeName: c.netns, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: BUSYBOX, command: ['sleep', '3600'] }] },
          },
        ],
      }),
    );

    const web = (await eventually(
      (): Pod[] | undefined => {
        const ps = pods('app=web').filter((p) => !p.metadata!.deletionTimestamp);
        return ps.length === 2 && ps.every((p) => isReady(p) && p.status?.podIP) ? ps : undefined;
      },
      'two ready web pods',
      120_000,
    ))!;
    await eventually(
      () => (JSON.parse(ok(lan, ['get', 'pod', '-n', NS, 'client', '-o', 'json'])) as Pod).status?.phase === 'Running' || undefined,
      'the client pod running on C',
      90_000,
    );
    const byNode = new Map(web.map((p) => [p.spec!.nodeName!, p]));
    assert.deepEqual([...byNode.keys()].sort(), [a.netns, b.netns].sort(), 'one backend on A and one on B');
    const names = web.map((p) => p.metadata!.name!).sort();
    const podIPs = web.map((p) => p.status!.podIP!).sort();
    const clusterIP = getSvc('web').spec!.clusterIP!;
    const nodePort = getSvc('web-np').spec!.ports![0]!.nodePort!;
    const npClusterIP = getSvc('web-np').spec!.clusterIP!;
    /** n GETs from the client pod on C; each answer is a backend's pod name. */
    const fetch = (ip: string, n: number, port = 80) =>
      sh(lan, 'client', `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); ${httpGet(ip, port)} || echo FAILED; done`)
        .trim()
        .split('\n');

    await t.test(
      "the client on C resolves web.<ns>.svc.cluster.local through the kube-dns ClusterIP (C's own DNS server) and reaches both backends",
      async () => {
        const dnsIP = getSvc('kube-dns', 'kube-system').spec!.clusterIP!;
        assert.match(sh(lan, 'client', 'cat /etc/resolv.conf'), new RegExp(`^nameserver ${dnsIP.replace(/\./g, '\\.')}$`, 'm'));
        // kube-dns's endpoint on C is C's server (internalTrafficPolicy Local): the answer comes from C.
        const slice = JSON.parse(ok(lan, ['get', 'endpointslice', '-n', 'kube-system', `kube-dns-${c.netns}`, '-o', 'json'])) as EndpointSlice;
        assert.equal(slice.endpoints?.[0]?.nodeName, c.netns);
        const fqdn = `web.${NS}.svc.cluster.local`;
        await eventually(() => (lookup(lan, 'client', fqdn).join() === clusterIP ? true : undefined), `${fqdn} resolving to ${clusterIP} on C`, 20_000);
        assert.deepEqual(lookup(lan, 'client', 'web'), [clusterIP], 'the search path resolves the short name');
        // By name end to end, across the overlay: the client is on C, the backends on A and B.
        const seen = new Set<string>();
        await eventually(
          () => {
            const out = sh(lan, 'client', `ip=$(nslookup -type=a ${fqdn} | sed -n 's/^Address: *//p' | tail -1); ${httpGet('$ip', 80)}`).trim();
            seen.add(out);
            return names.every((n) => seen.has(n)) || undefined;
          },
          `answers from both ${names.join(' and ')} (seen so far: ${[...seen].join(', ')})`,
          60_000,
        );
        assert.deepEqual([...seen].sort(), names);
        // Pod to Service across nodes keeps the client's address: the backends see the client pod.
        const clientIP = (JSON.parse(ok(lan, ['get', 'pod', '-n', NS, 'client', '-o', 'json'])) as Pod).status!.podIP!;
        assert.equal(v4(sh(lan, 'client', httpGet(clusterIP, 80, '/cgi-bin/ip'))), clientIP, 'not masqueraded');
      },
    );

    await t.test('the ClusterIP and the NodePort answer on C, which runs no backend: from C itself and from outside the cluster', () => {
      const answers = (r: { code: number; out: string; err: string }) => {
        assert.equal(r.code, 0, r.err);
        return r.out.trim().split('\n');
      };
      // From C's own network namespace (host traffic: the output hook; masqueraded, so the reply comes back through C).
      const fromC = answers(c.run(process.execPath, '-e', nodeGets(clusterIP, 80, 20)));
      assert.deepEqual(new Set(fromC), new Set(names), `ClusterIP from C: ${fromC.join(', ')}`);
      const npFromC = answers(c.run(process.execPath, '-e', nodeGets(c.ip, nodePort, 20)));
      assert.deepEqual(new Set(npFromC), new Set(names), `NodePort ${c.ip}:${nodePort} from C: ${npFromC.join(', ')}`);
      // From the LAN's host (not a node): NodePort on C's address, forwarded to A and B.
      const host = spawnSync(process.execPath, ['-e', nodeGets(c.ip, nodePort, 20)], { encoding: 'utf8', timeout: 60_000 });
      const outside = answers({ code: host.status ?? -1, out: host.stdout, err: host.stderr });
      assert.deepEqual(new Set(outside), new Set(names), `NodePort ${c.ip}:${nodePort} from outside: ${outside.join(', ')}`);
      // The NodePort Service's ClusterIP serves the pods too.
      assert.deepEqual(new Set(fetch(npClusterIP, 20)), new Set(names));
    });

    await t.test('a backend made NotReady stops receiving traffic from C', async () => {
      const [gone, stays] = [web[0]!, web[1]!];
      const [goneName, staysName] = [gone.metadata!.name!, stays.metadata!.name!];
      sh(lan, goneName, 'rm /tmp/ready');
      try {
        await eventually(
          () => !isReady(JSON.parse(ok(lan, ['get', 'pod', '-n', NS, goneName, '-o', 'json'])) as Pod) || undefined,
          `${goneName} NotReady`,
          20_000,
        );
        const notReadyAt = Date.now();
        await eventually(() => fetch(clusterIP, 10).every((n) => n === staysName) || undefined, `only ${staysName} answering`, 10_000);
        const took = Date.now() - notReadyAt;
        t.diagnostic(`traffic left ${goneName} (on ${gone.spec!.nodeName}) ${took} ms after it turned NotReady`);
        // 2 s as the issue asks, plus the time 10 requests through kubectl exec take themselves.
        assert.ok(took <= 2000 + 1500, `traffic left ${goneName} only ${took} ms after it was NotReady`);
        assert.deepEqual(new Set(fetch(clusterIP, 10)), new Set([staysName]));
      } finally {
        sh(lan, goneName, 'touch /tmp/ready');
      }
      await eventually(() => new Set(fetch(clusterIP, 10)).size === 2 || undefined, `${goneName} back in the rotation`, 20_000);
    });

    await t.test('the headless Service resolves on C to the pod IPs on A and B', async () => {
      await eventually(
        () => (lookup(lan, 'client', `web-headless.${NS}.svc.cluster.local`).sort().join() === podIPs.join() ? true : undefined),
        `web-headless resolving to ${podIPs.join(', ')}`,
        20_000,
      );
    });

    await t.test('an agent killed with -9 and restarted keeps traffic flowing and ends with exactly its rules (a Service deleted meanwhile gone)', async () => {
      // A's: it runs a backend, not the client (whose exec goes through C's agent).
      const steady = tableShape(a);
      assert.ok(
        steady.some((l) => l.includes(`"${clusterIP}"`)),
        `A's table holds web's ClusterIP:\n${steady.join('\n')}`,
      );
      const fromA = (n: number) => {
        const r = a.run(process.execPath, '-e', nodeGets(clusterIP, 80, n));
        assert.equal(r.code, 0, r.err);
        return new Set(r.out.trim().split('\n'));
      };
      // A Service that exists when the agent dies and is deleted while it is down.
      ok(lan, ['apply', '-f', '-'], JSON.stringify(svc('extra', { selector: { app: 'web' }, ports: [{ port: 81, targetPort: 8080 }] })));
      const extra = getSvc('extra');
      await eventually(() => tableShape(a).some((l) => l.includes(`"${extra.spec!.clusterIP}"`)) || undefined, "extra's rules in A's table", 15_000);
      await a.killAgent();
      ok(lan, ['delete', 'svc', '-n', NS, 'extra', '--wait=true']);
      // Meanwhile A's kernel keeps serving: from A itself, and C's client reaches A's backend.
      assert.deepEqual(fromA(20), new Set(names), 'traffic from A while its agent is down');
      assert.deepEqual(new Set(fetch(clusterIP, 20)), new Set(names), "traffic to A's backend while its agent is down");
      await a.startAgent(agentArgs);
      let last: string[] = [];
      await eventually(
        () => {
          last = tableShape(a);
          return last.join('\n') === steady.join('\n') || undefined;
        },
        "A's table back to its steady state",
        20_000,
      ).catch((e: Error) => {
        const gone = steady.filter((l) => !last.includes(l));
        const added = last.filter((l) => !steady.includes(l));
        throw new Error(`${e.message}\nmissing:\n${gone.join('\n')}\nunexpected:\n${added.join('\n')}`);
      });
      assert.ok(!last.some((l) => svcMarks(extra).some((mk) => l.includes(mk))), 'nothing of extra');
      assert.deepEqual(fromA(20), new Set(names), 'traffic from A after the restart');
    });

    await t.test('loadBalancerSourceRanges: the ServiceLB addresses answer only the allowed source; bad ranges are refused', async () => {
      const bad = kubectl(lan.server, ['apply', '-f', '-'], {
        input: JSON.stringify(
          svc('web-lb', { type: 'LoadBalancer', selector: { app: 'web' }, loadBalancerSourceRanges: ['nope'], ports: [{ port: 8089, targetPort: 8080 }] }),
        ),
        timeoutMs: 30_000,
      });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /spec\.LoadBalancerSourceRanges\[0\]: Invalid value: "nope": must be a valid CIDR value/);
      // Only the LAN's host may use the load-balancer addresses (every node's, from ServiceLB).
      ok(
        lan,
        ['apply', '-f', '-'],
        JSON.stringify(
          svc('web-lb', {
            type: 'LoadBalancer',
            selector: { app: 'web' },
            loadBalancerSourceRanges: [`${lan.hostIp}/32`],
            ports: [{ port: 8089, targetPort: 8080 }],
          }),
        ),
      );
      const ips = lan.machines.map((m) => m.ip).sort();
      await eventually(
        () =>
          (getSvc('web-lb').status?.loadBalancer?.ingress ?? [])
            .map((i) => i.ip)
            .sort()
            .join() === ips.join() || undefined,
        `web-lb's ingress being the nodes' addresses ${ips.join(', ')}`,
        20_000,
      );
      const lbNodePort = getSvc('web-lb').spec!.ports![0]!.nodePort!;
      // From the host, on C's address (C runs no backend): answered by both backends.
      const fromHost = await eventually(
        () => {
          const r = spawnSync(process.execPath, ['-e', nodeGets(c.ip, 8089, 20)], { encoding: 'utf8', timeout: 60_000 });
          const got = r.stdout.trim().split('\n');
          return names.every((n) => got.includes(n)) ? got : undefined;
        },
        `${c.ip}:8089 answering the host from both backends`,
        20_000,
      );
      assert.deepEqual(new Set(fromHost), new Set(names));
      // From C's client pod and from node A: no answer (A's attempt times out: dropped, not refused).
      assert.equal(sh(lan, 'client', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${c.ip} 8089 | tail -1; echo end`).trim(), 'end');
      const fromA = a.run(process.execPath, '-e', nodeGets(c.ip, 8089, 1, '/', 1500));
      assert.equal(fromA.out.trim(), 'ERR timeout', fromA.err);
      // The NodePort of the same Service is not subject to the ranges (as upstream).
      assert.ok(names.includes(sh(lan, 'client', httpGet(c.ip, lbNodePort)).trim()), 'NodePort open to the pod');
    });

    await t.test("deleting the Services leaves nothing of them in any machine's table", async () => {
      const all = ['web', 'web-np', 'web-headless', 'web-lb'].map((n) => getSvc(n));
      const marks = all.flatMap(svcMarks);
      for (const m of lan.machines) {
        const shape = tableShape(m).join('\n');
        assert.ok(shape.includes(`"${clusterIP}"`) && shape.includes(`${NS}/web/`), `${m.netns} holds web's rules before`);
      }
      ok(lan, ['delete', 'svc', '-n', NS, 'web', 'web-np', 'web-headless', 'web-lb']);
      for (const m of lan.machines) {
        let left: string[] = [];
        await eventually(
          () => {
            const shape = tableShape(m);
            left = shape.filter((l) => marks.some((mk) => l.includes(mk)));
            // The table itself is still there, with kube-dns in it.
            return !left.length && shape.some((l) => l.includes('kube-system/kube-dns/')) ? true : undefined;
          },
          `${m.netns}'s table without the deleted Services`,
          10_000,
        ).catch((e: Error) => {
          throw new Error(`${e.message}; left:\n${left.join('\n')}`);
        });
      }
      // The backends' pod IPs stay only where another Service still uses them: nowhere.
      for (const m of lan.machines) {
        const text = m.run('nft', 'list', 'table', 'ip', TABLE).out;
        for (const ip of podIPs) assert.ok(!text.includes(ip), `${m.netns} still mentions ${ip}:\n${text}`);
      }
    });
    t.diagnostic(`total ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    if (process.env.BERTH_E2E_VERBOSE) for (const m of lan.machines) process.stderr.write(`--- ${m.netns}\n${m.agentOutput().slice(-4000)}\n`);
    await lan.cleanUp();
  }
});
