// Defaulters of every served resource, keyed like the registry. They run on create and update,
// so each sets only what is missing.
import type { Defaulter } from '../resource.js';
import { defaultPodSpec } from './pod.js';

type Any = Record<string, any>;

function defaultTemplate(spec: Any): void {
  spec.template ??= {};
  spec.template.spec ??= {};
  defaultPodSpec(spec.template.spec);
}

const deployment: Defaulter = (o) => {
  const spec = ((o as Any).spec ??= {});
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec);
};

const replicaset: Defaulter = (o) => {
  const spec = ((o as Any).spec ??= {});
  spec.replicas ??= 1;
  defaultTemplate(spec);
};


/**
 * A Secret's stringData is write-only, as upstream's conversion of v1 Secrets makes it: each entry
 * is base64-encoded into data (over a key data already has) and stringData itself is not kept.
 */
function mergeStringData(secret: Any): void {
  const stringData = secret.stringData;
  if (stringData === undefined) return;
  delete secret.stringData;
  if (stringData === null || typeof stringData !== 'object') return;
  const entries = Object.entries(stringData as Record<string, unknown>).filter(([, v]) => typeof v === 'string');
  if (!entries.length) return;
  secret.data = { ...(secret.data ?? {}) };
  for (const [k, v] of entries) secret.data[k] = Buffer.from(v as string, 'utf8').toString('base64');
}

export const defaulters: Record<string, Defaulter> = {
  'deployments.apps': deployment,
  'replicasets.apps': replicaset,
  secrets: (o) => {
    mergeStringData(o as Any);
    (o as Any).type ??= 'Opaque';
  },
  'priorityclasses.scheduling.k8s.io': (o) => {
    (o as Any).preemptionPolicy ??= 'PreemptLowerPriority';
  },
  nodes: (o) => {
    const spec = (o as Any).spec;
    if (spec?.podCIDR && !spec.podCIDRs) spec.podCIDRs = [spec.podCIDR];
    // Upstream SetDefaults_NodeStatus: a node reporting only capacity can allocate all of it.
    const status = (o as Any).status;
    if (status?.capacity && !status.allocatable) status.allocatable = { ...status.capacity };
  },
};
