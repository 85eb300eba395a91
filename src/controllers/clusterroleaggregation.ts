// The ClusterRole aggregation controller, as upstream's pkg/controller/clusterroleaggregation: a
// ClusterRole with an aggregationRule gets as its rules those of every other ClusterRole its
// label selectors match (by name order, each rule once), kept current as those roles change. This
// is how admin, edit and view grow when a ClusterRole labelled aggregate-to-view appears.
import type { ClusterRole, PolicyRule } from 'kubernetes-types/rbac/v1';
import { isConflict, runWorkers, WorkQueue, type GroupVersionResource, type KubeObject, type RestClient } from '../client/index.js';
import { deepEqual } from '../api/object.js';
import { selectorFromLabelSelector } from '../api/labels.js';
import type { Controller, ControllerContext } from './context.js';

const CLUSTER_ROLES: GroupVersionResource = { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' };

/** The rules an aggregated role should have given every ClusterRole there is. */
export function aggregatedRules(role: ClusterRole, all: ClusterRole[]): PolicyRule[] {
  const selectors = (role.aggregationRule?.clusterRoleSelectors ?? []).map((s) => selectorFromLabelSelector(s));
  const rules: PolicyRule[] = [];
  const sorted = [...all].sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  for (const other of sorted) {
    if (other.metadata?.name === role.metadata?.name) continue;
    if (!selectors.some((s) => s.matches(other.metadata?.labels))) continue;
    for (const r of other.rules ?? []) if (!rules.some((x) => deepEqual(x, r))) rules.push(r);
  }
  return rules;
}

export function newClusterRoleAggregationController(ctx: ControllerContext): Controller {
  const informer = ctx.informers.for<KubeObject>(CLUSTER_ROLES);
  const queue = new WorkQueue<string>({ name: 'clusterrole-aggregation' });
  const client: RestClient = ctx.client;
  const log = (m: string) => ctx.log(`clusterrole-aggregation-controller: ${m}`);
  // Any change can matter to any aggregated role (a label now matching, a rule changed).
  const enqueueAggregated = () => {
    for (const r of informer.list() as ClusterRole[]) if (r.aggregationRule) queue.add(r.metadata!.name!);
  };
  informer.addEventHandler({ onAdd: enqueueAggregated, onUpdate: enqueueAggregated, onDelete: enqueueAggregated });

  const sync = async (name: string) => {
    const role = informer.get(undefined, name) as ClusterRole | undefined;
    if (!role?.aggregationRule) return;
    const rules = aggregatedRules(role, informer.list() as ClusterRole[]);
    if (deepEqual(rules, role.rules ?? [])) return;
    try {
      await client.update({ ...CLUSTER_ROLES, name }, { ...(role as KubeObject), rules } as KubeObject);
    } catch (e) {
      // Written meanwhile: the informer's event brings it back here.
      if (!isConflict(e)) throw e;
    }
  };
  return {
    name: 'clusterrole-aggregation-controller',
    async run(signal: AbortSignal) {
      await runWorkers(queue, 1, sync, { signal, onError: (name, e) => log(`aggregating ${name} failed: ${(e as Error).message}`) });
    },
  };
}
