// Removing everything of a pod from the node (kubelet's SyncTerminatedPod plus its orphan
// clean-up): its containers, its sandboxes (with their network namespace and IP), its cgroup, its
// log directory and its volumes. One path, used by the pod worker once it has stopped a deleted
// pod and by the agent for pods without a worker (deleted while the agent was down, or every pod
// when it stops with removePods); what stops the containers first differs, the removal does not.
import { rmSync } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1';
import { removeCgroup, type Runtime } from '../runtime/index.js';
import { LABEL_POD_UID, podLogDirectory } from './container-config.js';
import { tearDownVolumes } from './volumes.js';

export interface PodCleanupDeps {
  runtime: Runtime;
  logRoot: string;
  cgroupRoot: string;
  podsRoot: string;
  log(msg: string): void;
}

/** What names a pod on the node even without its object: the runtime's labels carry these. */
export interface PodIdentity {
  uid: string;
  namespace: string;
  name: string;
}

export function podIdentity(pod: Pod): PodIdentity {
  const m = pod.metadata!;
  return { uid: m.uid!, namespace: m.namespace!, name: m.name! };
}

/**
 * Stops (with the least grace) what still runs of the pod; for a pod no worker stopped gracefully:
 * its object is gone, so there is no grace period or preStop hook left to honour.
 */
export async function stopPodNow(runtime: Runtime, uid: string): Promise<void> {
  const containers = await runtime.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } });
  await Promise.all(containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => runtime.stopContainer(c.id, 2).catch(() => undefined)));
}

/**
 * Removes the pod's containers and sandboxes from the runtime and its cgroup, logs and volumes
 * from the node. Everything is attempted; a sandbox that could not be removed (its network not
 * torn down) is then thrown, so the caller tries again rather than leak its IP.
 */
export async function removePodFromNode(d: PodCleanupDeps, pod: PodIdentity): Promise<void> {
  const rt = d.runtime;
  const sel = { labelSelector: { [LABEL_POD_UID]: pod.uid } };
  const label = `pod ${pod.namespace}/${pod.name}`;
  for (const c of await rt.listContainers(sel)) {
    await rt.removeContainer(c.id).catch((e) => d.log(`${label}: remove container ${c.id}: ${(e as Error).message}`));
  }
  let failed: Error | undefined;
  for (const s of await rt.listPodSandbox(sel)) {
    await rt.stopPodSandbox(s.id).catch(() => undefined);
    await rt.removePodSandbox(s.id).catch((e: Error) => {
      d.log(`${label}: remove sandbox ${s.id}: ${e.message}`);
      failed ??= e;
    });
  }
  // Every QoS class's place: a pod known only by its labels has no spec to tell its class.
  for (const dir of [`pod${pod.uid}`, `burstable/pod${pod.uid}`, `besteffort/pod${pod.uid}`]) removeCgroup(`${d.cgroupRoot}/${dir}`);
  rmSync(podLogDirectory({ metadata: { ...pod } }, d.logRoot), { recursive: true, force: true });
  tearDownVolumes(d.podsRoot, pod.uid);
  if (failed) throw failed;
}
