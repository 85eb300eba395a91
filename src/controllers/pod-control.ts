// Creating pods from a controller's template and deleting them, with the events upstream's
// RealPodControl records, and the slow-start batching that keeps a controller whose creates
// all fail (quota, admission) from hammering the API server with hundreds of doomed requests.
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { StatusError, isNotFound, metaNamespaceKey, resources, type EventRecorder, type KubeObject, type RestClient } from '../client/index.js';
import type { Expectations } from './expectations.js';
import { isDNS1123Subdomain } from '../api/names.js';

export const SUCCESSFUL_CREATE = 'SuccessfulCreate';
export const FAILED_CREATE = 'FailedCreate';
export const SUCCESSFUL_DELETE = 'SuccessfulDelete';
export const FAILED_DELETE = 'FailedDelete';

/** The Status cause the API server gives when a namespace is being deleted. */
export const NAMESPACE_TERMINATING_CAUSE = 'NamespaceTerminating';

/** Upstream's SlowStartInitialBatchSize. */
export const SLOW_START_INITIAL_BATCH = 1;

/** An owner reference that makes owner the controller of the object (metav1.NewControllerRef). */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** The controller reference of an object, if it has one (metav1.GetControllerOf). */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** Whether an API error carries the given Status cause (apierrors.HasStatusCause). */
export function hasStatusCause(err: unknown, type: string): boolean {
  return err instanceof StatusError && !!err.status.details?.causes?.some((c) => c.reason === type);
}

/** `<name>-` when that is a valid name prefix, else the name (upstream getPodsPrefix). */
export function podNamePrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  // Validated as a prefix, as upstream: its trailing dash stands for the generated suffix.
  return isDNS1123Subdomain(`${controllerName}a`).length === 0 ? prefix : controllerName;
}

/** The pod a controller creates from its template (upstream GetPodFromTemplate). */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, ref?: OwnerReference): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: podNamePrefix(owner.metadata!.name!),
      namespace: owner.metadata?.namespace,
      labels: { ...(meta.labels ?? {}) },
      annotations: { ...(meta.annotations ?? {}) },
      ...(meta.finalizers?.length ? { finalizers: [...meta.finalizers] } : {}),
      ...(ref ? { ownerReferences: [ref] } : {}),
    },
    spec: structuredClone(template.spec!),
  };
  return pod;
}

/**
 * Runs fn count times in batches of 1, 2, 4, ... (each batch concurrently), stopping after the
 * first batch with a failure. Returns how many calls succeeded, and the first error seen.
 */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let size = Math.min(remaining, initial); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, () => fn()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += size - failed.length;
    if (failed.length) return { successes, error: failed[0]!.reason };
    remaining -= size;
  }
  return { successes };
}

/** Pod creates and deletes on behalf of a controller object, with their events. */
export class PodControl {
  constructor(
    private readonly client: RestClient,
    private readonly recorder: EventRecorder,
  ) {}

  /**
   * Creates a pod from template and returns its name (the one the server made from generateName:
   * the created pod itself comes through the informer). `customize` adjusts the pod before it is
   * sent (a Job's index, finalizer and hostname).
   */
  async createPod(namespace: string, template: PodTemplateSpec, owner: KubeObject, ref: OwnerReference, customize?: (pod: Pod) => void): Promise<string> {
    const pod = podFromTemplate(template, owner, ref);
    customize?.(pod);
    if (!Object.keys(pod.metadata!.labels ?? {}).length) throw new Error('unable to create pods, no labels');
    try {
      const name = await this.client.createForName({ ...resources.pods, namespace }, pod);
      this.recorder.event(owner, 'Normal', SUCCESSFUL_CREATE, `Created pod: ${name}`);
      return name;
    } catch (e) {
      if (!hasStatusCause(e, NAMESPACE_TERMINATING_CAUSE)) this.recorder.event(owner, 'Warning', FAILED_CREATE, `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  async deletePod(namespace: string, name: string, owner: KubeObject): Promise<void> {
    try {
      await this.client.delete({ ...resources.pods, namespace, name });
    } catch (e) {
      if (isNotFound(e)) throw e;
      this.recorder.event(owner, 'Warning', FAILED_DELETE, `Error deleting: ${(e as Error).message}`);
      throw e;
    }
    this.recorder.event(owner, 'Normal', SUCCESSFUL_DELETE, `Deleted pod: ${name}`);
  }

  /**
   * count creates from template in slow-start batches, each expected under key first; creates
   * never attempted or failed will not be observed, so they stop being expected. Returns how
   * many succeeded; throws the first failure (none while the namespace is being deleted).
   */
  async createPodsExpected(
    expectations: Expectations,
    key: string,
    o: { namespace: string; template: PodTemplateSpec; owner: KubeObject; ref: OwnerReference; count: number; customize?: (pod: Pod) => void },
  ): Promise<number> {
    expectations.expectCreations(key, o.count);
    const { successes, error } = await slowStartBatch(o.count, SLOW_START_INITIAL_BATCH, async () => {
      try {
        await this.createPod(o.namespace, o.template, o.owner, o.ref, o.customize);
      } catch (e) {
        // Every create fails while the namespace is being deleted: nothing to do.
        if (hasStatusCause(e, NAMESPACE_TERMINATING_CAUSE)) return;
        throw e;
      }
    });
    for (let i = successes; i < o.count; i++) expectations.creationObserved(key);
    if (error) throw error;
    return successes;
  }

  /** Deletes victims concurrently, each expected under key first; throws the first failure but NotFound. */
  async deletePodsExpected(expectations: Expectations, key: string, namespace: string, owner: KubeObject, victims: Pod[]): Promise<void> {
    expectations.expectDeletions(
      key,
      victims.map((p) => metaNamespaceKey(p)),
    );
    const errors: unknown[] = [];
    await Promise.all(
      victims.map(async (pod) => {
        try {
          await this.deletePod(namespace, pod.metadata!.name!, owner);
        } catch (e) {
          // Not going to be observed: stop expecting it.
          expectations.deletionObserved(key, metaNamespaceKey(pod));
          if (!isNotFound(e)) errors.push(e);
        }
      }),
    );
    if (errors.length) throw errors[0];
  }
}
