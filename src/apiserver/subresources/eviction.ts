// pods/eviction: a delete asked for politely (upstream's EvictionREST,
// pkg/registry/core/pod/storage/eviction.go). A pod covered by a PodDisruptionBudget is deleted
// only if the budget allows one more disruption, spent here with a compare-and-swap on the
// budget's status, so two evictions racing for the last allowed disruption cannot both pass.
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1';
import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import type { KObject } from '../../api/object.js';
import { resourceByKey, type ResourceType } from '../../registry/index.js';
import { budgetSelects } from '../../registry/poddisruptionbudgets/selects.js';
import { ApiError } from '../errors.js';
import { nowRfc3339, type RestStorage } from '../rest-storage.js';
import { collectionPrefix } from '../storage-keys.js';
import type { SubresourceRest } from './rest.js';
import type { Ctx } from '../ctx.js';
import { admitNodeRestriction, nodeRestrictionLookups } from '../admission/plugins/node-restriction.js';

type Pod = KObject & { status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };

/** Evictions that raced for the same budget try again this many times (upstream EvictionsRetry has 20 steps). */
const CONFLICT_RETRIES = 20;
/** Upstream MaxDisruptedPodSize: evictions the controller has not yet confirmed. */
const MAX_DISRUPTED_PODS = 2000;
const PDB_KEY = 'poddisruptionbudgets.policy';

const isReady = (pod: Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** A pod whose eviction disrupts nothing more: finished, not started, or already going (upstream canIgnorePDB). */
const canIgnoreBudget = (pod: Pod) => ['Succeeded', 'Failed', 'Pending'].includes(pod.status?.phase ?? '') || !!pod.metadata.deletionTimestamp;

function tooManyRequests(cause: string): ApiError {
  return new ApiError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  });
}

function forbiddenBudget(name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `poddisruptionbudgets.policy "${name}" is forbidden: ${why}`, { name, group: 'policy', kind: 'poddisruptionbudgets' });
}

/** Budgets in the pod's namespace whose selector covers it. */
async function budgetsFor(storage: RestStorage, pod: Pod): Promise<PodDisruptionBudget[]> {
  const r = resourceByKey(PDB_KEY);
  const { items } = await storage.cache(r).list(collectionPrefix(r, pod.metadata.namespace));
  return items.map((e) => e.obj as unknown as PodDisruptionBudget).filter((pdb) => budgetSelects(pdb.spec?.selector, pod.metadata.labels));
}

/**
 * Spends one disruption of the budget (upstream checkAndDecrement), re-reading it after a
 * conflict; throws 429 when none is left or the controller has not seen the budget's spec yet.
 */
async function spendDisruption(storage: RestStorage, pdbName: string, pod: Pod, dryRun: boolean): Promise<void> {
  const r = resourceByKey(PDB_KEY);
  const ns = pod.metadata.namespace!;
  for (let attempt = 0; ; attempt++) {
    const pdb = (await storage.get(r, ns, pdbName)) as unknown as PodDisruptionBudget;
    const status: PodDisruptionBudgetStatus = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 };
    if ((status.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
      throw tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`);
    }
    if (status.disruptionsAllowed < 0) throw forbiddenBudget(pdbName, 'pdb disruptions allowed is negative');
    if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
      throw forbiddenBudget(pdbName, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    }
    if (status.disruptionsAllowed === 0) {
      throw tooManyRequests(`The disruption budget ${pdbName} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`);
    }
    if (dryRun) return;
    try {
      await storage.update(
        r,
        ns,
        pdbName,
        (cur) => {
          const next = cur as unknown as PodDisruptionBudget;
          const allowed = status.disruptionsAllowed - 1;
          const conditions =
            allowed === 0
              ? (status.conditions ?? []).map((c) =>
                  c.type === 'DisruptionAllowed' && c.status === 'True'
                    ? { ...c, status: 'False', reason: 'InsufficientPods', message: '', lastTransitionTime: nowRfc3339() }
                    : c,
                )
              : status.conditions;
          next.status = {
            ...status,
            disruptionsAllowed: allowed,
            ...(conditions ? { conditions } : {}),
            disruptedPods: { ...(status.disruptedPods ?? {}), [pod.metadata.name!]: nowRfc3339() },
          };
          return next as unknown as KObject;
        },
        { subresource: 'status', precondition: pdb.metadata!.resourceVersion },
      );
      return;
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409) || attempt >= CONFLICT_RETRIES) {
        if (e instanceof ApiError && e.code === 409) {
          throw new ApiError(504, 'Timeout', `couldn't update PodDisruptionBudget "${pdbName}" due to conflicts`, { retryAfterSeconds: 10 });
        }
        throw e;
      }
    }
  }
}

const withPodVersion = (options: DeleteOptions, pod: Pod): DeleteOptions =>
  options.preconditions?.resourceVersion ? options : { ...options, preconditions: { ...options.preconditions, resourceVersion: pod.metadata.resourceVersion } };

/** POST pods/NAME/eviction: deletes the pod if no disruption budget covering it would be broken. */
export async function evictPod(
  storage: RestStorage,
  r: ResourceType,
  namespace: string,
  name: string,
  eviction: KObject,
  dryRun: boolean,
  ctx?: Ctx,
): Promise<void> {
  if (eviction.metadata.name && eviction.metadata.name !== name) {
    throw new ApiError(400, 'BadRequest', `name in URL does not match name in Eviction object`);
  }
  // pods/eviction's admission: NodeRestriction keeps a node to evicting its own pods.
  if (ctx?.user) {
    const a = { operation: 'CREATE' as const, resource: r, subresource: 'eviction', namespace, name, object: eviction, oldObject: undefined, user: ctx.user };
    admitNodeRestriction(a, nodeRestrictionLookups(storage.lookups));
  }
  const options = (eviction.deleteOptions ?? {}) as DeleteOptions;
  const pod = (await storage.get(r, namespace, name)) as Pod;
  // The resourceVersion precondition makes sure the pod did not change (become ready, start) since it was judged.
  if (canIgnoreBudget(pod)) {
    await storage.delete(r, namespace, name, withPodVersion(options, pod), { dryRun });
    return;
  }
  const budgets = await budgetsFor(storage, pod);
  if (budgets.length > 1) {
    throw new ApiError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  }
  const pdb = budgets[0];
  let pinned = false;
  if (pdb) {
    const status = pdb.status;
    const unhealthy = !isReady(pod);
    if (unhealthy && pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') pinned = true;
    else if (unhealthy && status && status.currentHealthy >= status.desiredHealthy && status.desiredHealthy > 0) pinned = true;
    else await spendDisruption(storage, pdb.metadata!.name!, pod, dryRun);
  }
  try {
    await storage.delete(r, namespace, name, pinned ? withPodVersion(options, pod) : options, { dryRun });
  } catch (e) {
    // The unready pod became something else meanwhile: the client should ask again.
    if (pinned && !options.preconditions?.resourceVersion && e instanceof ApiError && e.code === 409) {
      throw tooManyRequests(`The disruption budget ${pdb!.metadata!.name} is still being processed by the server.`);
    }
    throw e;
  }
}

export const eviction: SubresourceRest = { create: { expects: { apiVersion: 'policy/v1', kind: 'Eviction' }, run: evictPod } };
