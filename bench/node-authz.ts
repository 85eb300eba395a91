// The `node-authz` suite: what the Node authorizer costs per request, in process (no server, so
// the figures are the authorizer's alone). A graph of 10 000 pods on 100 nodes, each pod using a
// Secret of its own, its namespace's ConfigMap and ServiceAccount (100 namespaces), behind the
// default chain Node,RBAC with the default policy; then the graph's own upkeep per pod event.
import type { Pod } from 'kubernetes-types/core/v1';
import type { KObject } from '../src/api/object.js';
import type { Attributes } from '../src/apiserver/authz/attributes.js';
import { Authorizer } from '../src/apiserver/authz/authorizer.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, nodeRules } from '../src/apiserver/authz/bootstrap-policy.js';
import { NodeGraph } from '../src/apiserver/authz/node/graph.js';
import { NodeAuthorizer } from '../src/apiserver/authz/node/node-authorizer.js';
import { RbacAuthorizer } from '../src/apiserver/authz/rbac.js';
import { emit, median, round, type Result } from './common.js';

const PODS = 10_000;
const NODES = 100;
const NAMESPACES = 100;
const RUNS = 5;
const OPS = 100_000;

function pod(i: number, node = `node-${i % NODES}`): Pod {
  const ns = `ns-${i % NAMESPACES}`;
  return {
    metadata: { name: `pod-${i}`, namespace: ns },
    spec: {
      nodeName: node,
      serviceAccountName: 'app',
      containers: [{ name: 'c', image: 'i', envFrom: [{ configMapRef: { name: 'settings' } }] }],
      volumes: [{ name: 'creds', secret: { secretName: `secret-${i}` } }],
    },
  };
}

const ask = (user: Attributes['user'], verb: string, resource: string, o: Partial<Attributes> = {}): Attributes => ({
  user,
  verb,
  resourceRequest: true,
  path: '',
  apiGroup: '',
  apiVersion: 'v1',
  resource,
  subresource: '',
  namespace: '',
  name: '',
  ...o,
});

/** Microseconds per call of fn over OPS calls, the median of RUNS. */
function perCall(fn: (i: number) => unknown): number {
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) fn(i);
    runs.push(((performance.now() - t0) * 1000) / OPS);
  }
  return median(runs);
}

export async function nodeAuthzSuite(): Promise<Result[]> {
  const out: Result[] = [];
  const graph = new NodeGraph();
  const t0 = performance.now();
  for (let i = 0; i < PODS; i++) graph.setPod(pod(i));
  const addUs = ((performance.now() - t0) * 1000) / PODS;

  const roles = new Map(bootstrapClusterRoles().map((r) => [r.metadata!.name!, r as unknown as KObject]));
  const rbac = new RbacAuthorizer({ role: () => undefined, clusterRole: (n) => roles.get(n) });
  bootstrapClusterRoleBindings().forEach((b, i) => rbac.clusterBindings.put(`crb-${i}`, b as unknown as KObject));
  rbac.roleBindings.put('rb-edit', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'edit', namespace: 'ns-0' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bench-user' }],
  } as unknown as KObject);
  // edit is aggregated: its rules are what the aggregation controller would have put there.
  const edit = roles.get('edit') as unknown as { rules: unknown[] };
  const rulesOf = (n: string) => (roles.get(n) as unknown as { rules?: unknown[] }).rules ?? [];
  edit.rules = [...rulesOf('system:aggregate-to-edit'), ...rulesOf('system:aggregate-to-view')];
  const chain = new Authorizer(['Node', 'RBAC'], rbac, new NodeAuthorizer(graph, nodeRules()));
  const rbacOnly = new Authorizer(['RBAC'], rbac);

  const node = (n: number) => ({ name: `system:node:node-${n}`, groups: ['system:nodes', 'system:authenticated'] });
  const nodes = Array.from({ length: NODES }, (_, n) => node(n));
  const user = { name: 'bench-user', groups: ['system:authenticated'] };
  const check = (a: Attributes, want: boolean) => {
    if (chain.authorize(a).allowed !== want) throw new Error(`${a.user.name} ${a.verb} ${a.resource}/${a.name}: expected ${want}`);
  };
  // Each request below is checked once for the expected answer before it is timed.
  const secretOwn = (i: number) => ask(nodes[i % NODES]!, 'get', 'secrets', { namespace: `ns-${i % NAMESPACES}`, name: `secret-${i % PODS}` });
  const secretOther = (i: number) => ask(nodes[(i + 1) % NODES]!, 'get', 'secrets', { namespace: `ns-${i % NAMESPACES}`, name: `secret-${i % PODS}` });
  const podsWatch = (i: number) => ask(nodes[i % NODES]!, 'watch', 'pods', { fieldSelector: `spec.nodeName=node-${i % NODES}` });
  const statusPatch = (i: number) => ask(nodes[i % NODES]!, 'patch', 'nodes', { name: `node-${i % NODES}`, subresource: 'status' });
  const userGet = (i: number) => ask(user, 'get', 'pods', { namespace: 'ns-0', name: `pod-${i}` });
  check(secretOwn(7), true);
  check(secretOther(7), false);
  check(podsWatch(7), true);
  check(statusPatch(7), true);
  check(userGet(7), true);
  const cases: Array<[string, (i: number) => Attributes, Authorizer]> = [
    ['node: get a Secret its pod uses (allowed by the graph)', secretOwn, chain],
    ["node: get another node's Secret (Node no, then RBAC no: 403)", secretOther, chain],
    ['node: watch pods with spec.nodeName=itself', podsWatch, chain],
    ['node: patch its nodes/status (static node rules)', statusPatch, chain],
    ['non-node user: get pod, chain Node,RBAC', userGet, chain],
    ['non-node user: get pod, RBAC only', userGet, rbacOnly],
  ];
  for (const [metric, attrs, authz] of cases) {
    const prepared = Array.from({ length: 1024 }, (_, i) => attrs(i * 7919));
    const us = perCall((i) => authz.authorize(prepared[i & 1023]!));
    out.push(
      emit({
        suite: 'node-authz',
        workload: 'decision',
        metric,
        value: round(us, 3),
        unit: 'µs',
        note: `median of ${RUNS} x ${OPS}; ${PODS} pods on ${NODES} nodes`,
      }),
    );
  }

  out.push(emit({ suite: 'node-authz', workload: 'graph', metric: 'add a pod (3 references)', value: round(addUs, 2), unit: 'µs', note: `${PODS} pods` }));
  const same = Array.from({ length: 1024 }, (_, i) => ({ ...pod(i), status: { phase: 'Running' } }) as Pod);
  out.push(
    emit({
      suite: 'node-authz',
      workload: 'graph',
      metric: 'update a pod, same references (status)',
      value: round(
        perCall((i) => graph.setPod(same[i & 1023]!)),
        3,
      ),
      unit: 'µs',
    }),
  );
  const t1 = performance.now();
  for (let i = 0; i < PODS; i++) graph.deletePod(`ns-${i % NAMESPACES}`, `pod-${i}`);
  out.push(emit({ suite: 'node-authz', workload: 'graph', metric: 'delete a pod', value: round(((performance.now() - t1) * 1000) / PODS, 2), unit: 'µs' }));
  if (graph.size.pods !== 0 || graph.size.objects !== 0) throw new Error(`graph not empty after deleting every pod: ${JSON.stringify(graph.size)}`);
  return out;
}
