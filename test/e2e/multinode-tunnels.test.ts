// Three "machines" (network namespaces on a test LAN, machines.ts), each a real `berth agent`
// joined to a `berth server` on the LAN, with the server's direct way to every agent's endpoint
// dropped by an nft rule inside each machine: kubectl logs, exec and port-forward still reach a
// pod on every node, so they went through the tunnels the agents dialed (#14). The third machine
// registers with --node-label, --node-taint and --node-external-ip: its Node carries them, and a
// pod without a toleration is not scheduled there while one with it is. On the LAN a join with
// a wrong CA hash and a second machine under a taken node name are refused with one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { BERTH, eventually, kubectl, kubectlBackground, skipIfMissing } from './harness.js';
import { BUSYBOX, missingAgentPrerequisite } from './agent-fixture.js';
import { lanPrerequisiteMissing, startLan, type Lan, type Machine } from './machines.js';

/** TEST-NET-3 (RFC 5737): an ExternalIP nothing ever dials. */
const EXTERNAL_IP = '203.0.113.14';
const TAINT = { key: 'dedicated', value: 'e2e', effect: 'NoSchedule' };
const BLOCK_TABLE = 'berth-e2e-block';

function ok(lan: Lan, args: string[], input?: string): string {
  const r = kubectl(lan.server, args, { input, timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const getNode = (lan: Lan, name: string) => JSON.parse(ok(lan, ['get', 'node', name, '-o', 'json'])) as Node;
const getPod = (lan: Lan, name: string) => JSON.parse(ok(lan, ['get', 'pod', name, '-o', 'json'])) as Pod;

/** How a TCP connect from this (the server's) namespace ends: 'connected', 'timeout' or the error code. */
function connectResult(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.setTimeout(timeoutMs, () => (s.destroy(), resolve('timeout')));
    s.on('connect', () => (s.destroy(), resolve('connected')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/index.html', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('error', reject);
  });
}

/** Drops TCP from the server's LAN address to the agent's endpoint port, inside the machine. */
function blockServerToAgent(m: Machine, serverIp: string, port: number): void {
  for (const args of [
    ['add', 'table', 'inet', BLOCK_TABLE],
    ['add', 'chain', 'inet', BLOCK_TABLE, 'input', '{ type filter hook input priority -10; policy accept; }'],
    ['add', 'rule', 'inet', BLOCK_TABLE, 'input', 'ip', 'saddr', serverIp, 'tcp', 'dport', String(port), 'counter', 'drop'],
  ]) {
    const r = m.run('nft', ...args);
    if (r.code !== 0) throw new Error(`nft ${args.join(' ')} in ${m.netns}: ${r.err}`);
  }
}

/** A pod pinned to the machine's node by its hostname label (so through the scheduler), serving /index.html on 8080. */
function servingPod(name: string, nodeName: string, tolerate: boolean) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      nodeSelector: { 'kubernetes.io/hostname': nodeName },
      ...(tolerate ? { tolerations: [{ key: TAINT.key, operator: 'Equal', value: TAINT.value, effect: TAINT.effect }] } : {}),
      containers: [
        {
          name: 'app',
          image: BUSYBOX,
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          command: ['sh', '-c', 'echo hello-from-$NODE; mkdir -p /www && echo served-by-$(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www'],
        },
      ],
    },
  };
}

test('berth agent: a bad --node-label, --node-taint or --node-external-ip is one line and exit 1, before anything starts', (t) => {
  if (skipIfMissing(spawnSync('test', ['-f', BERTH]).status === 0 ? undefined : `${BERTH} is missing`, 'the agent flag check', t)) return;
  const cases: Array<[string[], RegExp]> = [
    [
      ['--node-label', 'node-restriction.kubernetes.io/tier=gold'],
      /^berth: error: --node-label "node-restriction\.kubernetes\.io\/tier=gold": a node may not set "node-restriction\.kubernetes\.io\/tier" on itself: .*\n$/,
    ],
    [['--node-label', 'node-role.kubernetes.io/worker=true'], /^berth: error: --node-label "node-role\.kubernetes\.io\/worker=true": a node may not set/],
    [['--node-label', 'pool'], /^berth: error: --node-label "pool": must be KEY=VALUE\n$/],
    [
      ['--node-taint', 'dedicated=e2e'],
      /^berth: error: --node-taint "dedicated=e2e": must be KEY\[=VALUE\]:EFFECT \(effect NoSchedule, PreferNoSchedule or NoExecute\)\n$/,
    ],
    [
      ['--node-taint', 'dedicated=e2e:Never'],
      /^berth: error: --node-taint "dedicated=e2e:Never": effect "Never" is not one of NoSchedule, PreferNoSchedule, NoExecute\n$/,
    ],
    [['--node-external-ip', '203.0.113'], /^berth: error: --node-external-ip "203\.0\.113": not an IP address\n$/],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'berth-flags-'));
  try {
    for (const [flags, want] of cases) {
      // A server nobody listens at: the check must come before any connection is tried.
      const r = spawnSync(process.execPath, [BERTH, 'agent', '--server', 'https://127.0.0.1:9', '--token', 'x', '--data-dir', dir, ...flags], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.status, 1, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  '3 machines on a LAN: logs, exec and port-forward through the tunnels only; node labels, taint, ExternalIP; refused joins',
  { timeout: 300_000 },
  async (t) => {
    const missing = (await missingAgentPrerequisite()) ?? lanPrerequisiteMissing();
    if (skipIfMissing(missing, 'multi-node tunnels', t)) return;
    const started = Date.now();
    const lan = await startLan({
      machines: 3,
      agentArgs: ['--pod-network', 'host-gw'],
      machineArgs: (i) =>
        i === 2
          ? [
              '--node-label',
              'example.com/pool=gpu',
              '--node-label',
              'node-role.kubelet.kubernetes.io/worker=',
              '--node-taint',
              `${TAINT.key}=${TAINT.value}:${TAINT.effect}`,
              '--node-external-ip',
              EXTERNAL_IP,
            ]
          : [],
    });
    const scratch = mkdtempSync(join(tmpdir(), 'berth-refused-'));
    try {
      const [a, b, c] = lan.machines as [Machine, Machine, Machine];
      const ready = (await eventually(
        () => {
          const ns = lan.machines.map((m) => getNode(lan, m.netns));
          return ns.every((n) => n.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True') ? ns : undefined;
        },
        'three nodes Ready',
        60_000,
      ))!;

      await t.test("the third machine's Node: its labels, its taint, its ExternalIP after the InternalIP; the others have none of them", () => {
        const n = ready[2]!;
        assert.equal(n.metadata!.labels!['example.com/pool'], 'gpu');
        assert.equal(n.metadata!.labels!['node-role.kubelet.kubernetes.io/worker'], '');
        assert.equal(n.metadata!.labels!['kubernetes.io/hostname'], c.netns, 'the well-known labels stay');
        // The node lifecycle controller's own taints (node.kubernetes.io/not-ready while it catches up) aside.
        const own = (x: Node) => (x.spec?.taints ?? []).filter((tt) => !tt.key.startsWith('node.kubernetes.io/'));
        assert.deepEqual(own(n), [TAINT]);
        assert.deepEqual(n.status!.addresses, [
          { type: 'InternalIP', address: c.ip },
          { type: 'ExternalIP', address: EXTERNAL_IP },
          { type: 'Hostname', address: n.status!.addresses!.find((x) => x.type === 'Hostname')!.address },
        ]);
        // kubectl's wide table shows the ExternalIP column from it.
        assert.match(ok(lan, ['get', 'node', c.netns, '-o', 'wide']), new RegExp(`${c.ip.replace(/\./g, '\\.')}\\s+${EXTERNAL_IP.replace(/\./g, '\\.')}\\s`));
        for (const other of ready.slice(0, 2)) {
          assert.deepEqual(own(other), [], other.metadata!.name);
          assert.equal(other.metadata!.labels!['example.com/pool'], undefined);
          assert.equal(
            other.status!.addresses!.some((x) => x.type === 'ExternalIP'),
            false,
          );
        }
      });

      await t.test('the server cannot reach any agent endpoint directly once each machine drops it', async () => {
        for (const [i, m] of lan.machines.entries()) {
          const port = ready[i]!.status!.daemonEndpoints!.kubeletEndpoint!.Port;
          assert.equal(await connectResult(m.ip, port), 'connected', `${m.netns}: reachable before the rule`);
          blockServerToAgent(m, lan.hostIp, port);
          assert.equal(await connectResult(m.ip, port), 'timeout', `${m.netns}: dropped after the rule`);
        }
      });

      ok(
        lan,
        ['apply', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: lan.machines.map((m) => servingPod(`on-${m.index}`, m.netns, m.index === 2)) }),
      );
      ok(lan, ['apply', '-f', '-'], JSON.stringify(servingPod('intolerant', c.netns, false)));

      await t.test('a pod without the toleration is not scheduled onto the tainted node; one with it runs there', async () => {
        const onC = (await eventually(
          () => {
            const p = getPod(lan, 'on-2');
            return p.status?.phase === 'Running' ? p : undefined;
          },
          'the tolerating pod running on the tainted node',
          90_000,
        ))!;
        assert.equal(onC.spec!.nodeName, c.netns);
        const cond = (await eventually(
          () => getPod(lan, 'intolerant').status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False'),
          'the intolerant pod unschedulable',
          30_000,
        ))!;
        assert.equal(cond.reason, 'Unschedulable');
        assert.match(cond.message!, /1 node\(s\) had untolerated taint \{dedicated: e2e\}/);
        const p = getPod(lan, 'intolerant');
        assert.equal(p.spec!.nodeName, undefined);
        assert.equal(p.status!.phase, 'Pending');
      });

      await t.test('kubectl logs, exec -- hostname and port-forward reach a pod on each of the three nodes through the API server', async () => {
        for (const m of [a, b, c]) {
          const pod = `on-${m.index}`;
          await eventually(() => getPod(lan, pod).status?.phase === 'Running' || undefined, `${pod} running`, 90_000);
          // The serving certificate may still be on its way: logs work once it is.
          const logs = await eventually(
            () => {
              const r = kubectl(lan.server, ['logs', pod], { timeoutMs: 20_000 });
              return r.code === 0 && r.stdout.includes('hello-from') ? r.stdout : undefined;
            },
            `kubectl logs ${pod}`,
            60_000,
          ).catch((e) => {
            throw new Error(`${(e as Error).message}\n${m.agentOutput().slice(-3000)}`);
          });
          assert.equal(logs, `hello-from-${m.netns}\n`);
          const exec = kubectl(lan.server, ['exec', pod, '--', 'hostname'], { timeoutMs: 30_000 });
          assert.equal(exec.code, 0, exec.stderr);
          assert.equal(exec.stdout, `${pod}\n`);
          const pf = kubectlBackground(lan.server, ['port-forward', `pod/${pod}`, ':8080']);
          try {
            const local = Number(
              await eventually(() => /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(pf.stdout())?.[1], `port-forward to ${pod} listening`, 20_000).catch(
                (e) => {
                  throw new Error(`${(e as Error).message}: ${pf.stderr()}`);
                },
              ),
            );
            assert.deepEqual(await Promise.all([1, 2].map(() => httpGet(local))), [`200 served-by-${pod}`, `200 served-by-${pod}`]);
          } finally {
            pf.proc.kill();
          }
        }
        // Everything above went around the rules: the only packets they dropped were the probes'.
        for (const m of lan.machines) {
          const rules = m.run('nft', 'list', 'table', 'inet', BLOCK_TABLE).out;
          assert.match(rules, /counter packets [1-9]\d* bytes \d+ drop/, `${m.netns}: the rule is in place and dropped the probe`);
        }
      });

      const token = readFileSync(join(lan.server.dataDir, 'token'), 'utf8').trim();
      const join_ = (m: Machine, tokenValue: string, nodeName: string, dir: string) =>
        m.run(
          process.execPath,
          BERTH,
          'agent',
          '--server',
          lan.server.url,
          '--token',
          tokenValue,
          '--data-dir',
          join(scratch, dir),
          '--node-name',
          nodeName,
          '--node-ip',
          m.ip,
        );

      await t.test("a machine joining with a token whose CA hash is not the cluster's is refused: one line, exit 1, no CSR", () => {
        const bad = token.replace(/^K10(.)/, (_, d: string) => `K10${d === '0' ? '1' : '0'}`);
        const before = ok(lan, ['get', 'csr', '-o', 'name']);
        const r = join_(c, bad, `never-${process.pid}`, 'bad-hash');
        assert.equal(r.code, 1, r.err);
        assert.match(
          r.err,
          /^berth: error: the cluster CA of https:\/\/10\.213\.\d+\.1:\d+ \(sha256 [0-9a-f]{64}\) does not match the token's CA hash [0-9a-f]{64}: the token is for another cluster, or something is posing as the server\n$/,
        );
        assert.equal(ok(lan, ['get', 'csr', '-o', 'name']), before, 'no CSR was made');
      });

      await t.test('a second machine under a taken node name is refused with one clear line', () => {
        const r = join_(b, token, a.netns, 'taken');
        assert.equal(r.code, 1, r.err);
        assert.match(
          r.err,
          new RegExp(
            `\\nberth: error: cannot join as node ${a.netns}: node name ${a.netns} is taken by another machine; delete Node ${a.netns} to reuse it\\n$`,
          ),
        );
        // The first machine keeps its node.
        assert.equal(getNode(lan, a.netns).status?.conditions?.find((x) => x.type === 'Ready')?.status, 'True');
      });
      t.diagnostic(`total ${Math.round((Date.now() - started) / 1000)} s`);
    } finally {
      if (process.env.BERTH_E2E_VERBOSE) for (const m of lan.machines) process.stderr.write(`--- ${m.netns}\n${m.agentOutput().slice(-4000)}\n`);
      rmSync(scratch, { recursive: true, force: true });
      await lan.cleanUp();
    }
  },
);
