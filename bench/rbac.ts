// The `rbac` suite: what authorization costs. Two servers side by side, one with RBAC (the
// default) and one with --authorization-mode AlwaysAllow, each holding 10 000 RoleBindings of
// other users across 100 namespaces; the requests act as a user bound to `edit` in one namespace
// (impersonated: the admin credential is in system:masters, which RBAC never evaluates).
// Runs are interleaved so that both servers see the same machine load.
import { call, emit, median, percentile, round, startBerth, type BenchServer, type Result } from './common.js';

const RUNS = 5;
const CREATES = 600;
const GETS = 1200;
const BINDINGS = 10_000;
const AS_USER = { 'Impersonate-User': 'bench-user' };

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'registry.local/bench:1' }] },
});

async function must(s: BenchServer, method: string, path: string, body?: unknown, headers?: Record<string, string>, want = 201): Promise<void> {
  const r = await call(s, method, path, body, headers);
  if (r.status !== want) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
}

async function parallel(n: number, clients: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < n; i = next++) await fn(i);
    }),
  );
  return performance.now() - t0;
}

async function prepare(s: BenchServer): Promise<void> {
  for (let n = 0; n < 100; n++) await must(s, 'POST', '/api/v1/namespaces', { metadata: { name: `t-${n}` } });
  await must(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
  await parallel(BINDINGS, 32, (i) =>
    must(s, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/t-${i % 100}/rolebindings`, {
      metadata: { name: `rb-${i}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `user-${i}` }],
    }),
  );
  await must(s, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/bench/rolebindings', {
    metadata: { name: 'bench-edit' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bench-user' }],
  });
}

export async function rbacSuite(): Promise<Result[]> {
  const servers: Array<[string, BenchServer]> = [
    ['rbac', await startBerth([])],
    ['always-allow', await startBerth(['--authorization-mode', 'AlwaysAllow'])],
  ];
  const out: Result[] = [];
  try {
    for (const [, s] of servers) await prepare(s);
    const creates = new Map<string, number[]>(servers.map(([m]) => [m, []]));
    const gets = new Map<string, number[]>(servers.map(([m]) => [m, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const [mode, s] of servers) {
        const ms = await parallel(CREATES, 16, (i) => must(s, 'POST', '/api/v1/namespaces/bench/pods', pod(`r${run}-${i}`), AS_USER));
        creates.get(mode)!.push(CREATES / (ms / 1000));
        for (let i = 0; i < GETS; i++) {
          const t0 = performance.now();
          await must(s, 'GET', `/api/v1/namespaces/bench/pods/r${run}-${(i * 7919) % CREATES}`, undefined, AS_USER, 200);
          gets.get(mode)!.push(performance.now() - t0);
        }
      }
    }
    for (const [mode] of servers) {
      const note = `${BINDINGS} RoleBindings; ${mode === 'rbac' ? 'RBAC' : 'AlwaysAllow'}; as a user bound to edit`;
      out.push(
        emit({
          suite: 'rbac',
          workload: mode,
          metric: 'creates/s (16 clients)',
          value: round(median(creates.get(mode)!)),
          unit: '1/s',
          note: `median of ${RUNS} x ${CREATES}; ${note}`,
        }),
      );
      out.push(
        emit({
          suite: 'rbac',
          workload: mode,
          metric: 'GET p50',
          value: round(percentile(gets.get(mode)!, 50), 2),
          unit: 'ms',
          note: `${RUNS} x ${GETS} sequential gets`,
        }),
      );
      out.push(emit({ suite: 'rbac', workload: mode, metric: 'GET p99', value: round(percentile(gets.get(mode)!, 99), 2), unit: 'ms' }));
    }
    const cost = (a: number, b: number) => round(((a - b) / b) * 100);
    const [c, ca] = [median(creates.get('rbac')!), median(creates.get('always-allow')!)];
    const [g, ga] = [percentile(gets.get('rbac')!, 99), percentile(gets.get('always-allow')!, 99)];
    out.push(emit({ suite: 'rbac', workload: 'cost', metric: 'creates/s change', value: cost(c, ca), unit: '%', target: '>= -10' }));
    out.push(emit({ suite: 'rbac', workload: 'cost', metric: 'GET p99 change', value: cost(g, ga), unit: '%', target: '<= +10' }));
    out.push(
      emit({
        suite: 'rbac',
        workload: 'cost',
        metric: 'GET p50 change',
        value: cost(percentile(gets.get('rbac')!, 50), percentile(gets.get('always-allow')!, 50)),
        unit: '%',
        target: '<= +10',
      }),
    );
  } finally {
    for (const [, s] of servers) await s.stop();
  }
  return out;
}
