// Shared pieces of the deployment controller's unit tests: a deployment builder, both workload
// controllers over a FakeApi with a fake kubelet, and lookups.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { resources } from '../../client/index.js';
import { FakeApi, fakeKubelet, runControllers, type FakeKubeletOptions } from '../fake-api.js';
import { newReplicaSetController } from '../replicaset.js';
import { newDeploymentController } from './controller.js';

export const NS = 'default';

export function deployment(name: string, replicas: number, spec: Record<string, unknown> = {}, image = 'img:1'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...spec,
    },
  };
}

export async function startWorkloads(kubelet: FakeKubeletOptions | false = {}) {
  const api = new FakeApi();
  const stopKubelet = kubelet === false ? () => {} : fakeKubelet(api, kubelet);
  const run = await runControllers(
    api,
    (ctx) => newReplicaSetController(ctx),
    (ctx) => newDeploymentController(ctx),
  );
  return {
    api,
    ...run,
    async stop() {
      stopKubelet();
      await run.stop();
    },
  };
}

export const ref = (name: string) => ({ ...resources.deployments, namespace: NS, name });
export const getD = (api: FakeApi, name: string) => api.objects<Deployment>('apps/deployments', NS).find((d) => d.metadata?.name === name)!;
export const rsOf = (api: FakeApi, name: string) =>
  api
    .objects<ReplicaSet>('apps/replicasets', NS)
    .filter((rs) => rs.metadata?.ownerReferences?.[0]?.name === name)
    .sort(
      (a, b) =>
        Number(a.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0) -
        Number(b.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
    );
export const podsOf = (api: FakeApi, app: string) => api.objects<Pod>('/pods', NS).filter((p) => p.metadata?.labels?.app === app);
export const eventsOf = (api: FakeApi, name: string) => api.objects<Event>('/events', NS).filter((e) => e.involvedObject.name === name);

/** Sets the image of a deployment's only container, as `kubectl set image` does. */
export async function setImage(api: FakeApi, name: string, image: string): Promise<void> {
  await api.patch(ref(name), { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } }, 'strategic');
}

/** The deployment is rolled out as `kubectl rollout status` sees it. */
export function rolledOut(api: FakeApi, name: string): boolean {
  const d = getD(api, name);
  const s = d.status ?? {};
  const n = d.spec?.replicas ?? 1;
  return (
    (d.metadata?.generation ?? 0) <= (s.observedGeneration ?? 0) &&
    (s.updatedReplicas ?? 0) >= n &&
    (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
    (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
  );
}
