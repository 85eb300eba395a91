// The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished): a Job finished
// (Complete or Failed) with spec.ttlSecondsAfterFinished is deleted that many seconds after the
// finishing condition's transition, its pods with it (foreground propagation). The Job is read
// afresh before deleting, so a TTL changed in the meantime is honoured.
import type { Job } from 'kubernetes-types/batch/v1';
import { isNotFound, metaNamespaceKey, resources, runWorkers, WorkQueue, type Informer } from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';

export interface TTLAfterFinishedOptions {
  workers?: number;
  now?: () => Date;
}

/** When a finished Job with a TTL expires, in ms since the epoch (undefined: never). */
export function jobExpiresAt(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl == null || job.metadata?.deletionTimestamp) return undefined;
  const done = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  if (!done) return undefined;
  const finished = Date.parse(done.lastTransitionTime ?? job.status?.completionTime ?? '');
  return Number.isNaN(finished) ? undefined : finished + ttl * 1000;
}

export function newTTLAfterFinishedController(ctx: ControllerContext, opts: TTLAfterFinishedOptions = {}): Controller {
  const queue = new WorkQueue<string>({ name: 'ttl-after-finished' });
  const now = opts.now ?? (() => new Date());
  const jobs: Informer<Job> = ctx.informers.for<Job>(resources.jobs);
  const enqueue = (job: Job) => {
    if (jobExpiresAt(job) !== undefined) queue.add(metaNamespaceKey(job));
  };
  jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, cur) => enqueue(cur) });

  async function sync(key: string): Promise<void> {
    const cached = jobs.getByKey(key);
    const at = cached && jobExpiresAt(cached);
    if (at === undefined) return;
    const wait = at - now().getTime();
    if (wait > 0) {
      queue.addAfter(key, wait);
      return;
    }
    let fresh: Job;
    try {
      fresh = await ctx.client.get<Job>({ ...resources.jobs, namespace: cached!.metadata!.namespace, name: cached!.metadata!.name! });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const freshAt = jobExpiresAt(fresh);
    if (freshAt === undefined) return;
    if (freshAt > now().getTime()) {
      queue.addAfter(key, freshAt - now().getTime());
      return;
    }
    try {
      await ctx.client.delete(
        { ...resources.jobs, namespace: fresh.metadata!.namespace, name: fresh.metadata!.name! },
        { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata!.uid, resourceVersion: fresh.metadata!.resourceVersion } },
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  return {
    name: 'ttl-after-finished',
    async run(signal: AbortSignal) {
      await runWorkers(queue, opts.workers ?? 5, sync, { signal, onError: (key, e) => ctx.log(`ttl-after-finished ${key}: ${(e as Error)?.message ?? e}`) });
    },
  };
}
