// ServiceAccount (upstream's plugin/pkg/admission/serviceaccount/admission.go): a new pod runs
// as a ServiceAccount of its namespace (`default` unless it names one), which must exist; unless
// the pod or the ServiceAccount opts out (automountServiceAccountToken: false), every container
// and init container gets the kube-api-access-<random> projected volume — a token for the pod's
// ServiceAccount, the cluster CA and the namespace — at /var/run/secrets/kubernetes.io/serviceaccount;
// a pod naming no imagePullSecrets gets those of its ServiceAccount.
import type { Pod, Volume } from 'kubernetes-types/core/v1';
import type { KObject } from '../../../api/object.js';
import { generateName } from '../../../api/generate-name.js';
import { forbidden } from '../../errors.js';
import type { AdmissionLookups, AdmissionPlugin } from '../types.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
/** What upstream asks for: an hour and 7 s, the mark of an admission-made token volume. */
export const PROJECTED_TOKEN_EXPIRATION_SECONDS = 3607;
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

const SERVICE_ACCOUNTS = 'serviceaccounts';
/** How long a pod waits for its namespace's `default` ServiceAccount (below). */
const DEFAULT_SA_WAIT_MS = 2000;

const saName = (obj: KObject | undefined) => (obj?.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || DEFAULT_SERVICE_ACCOUNT;

/** Upstream's TokenVolumeSource: the three sources the in-cluster client config reads. */
export function tokenVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: PROJECTED_TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

/** Admits a pod being created (mutating it); throws upstream's 403 for a missing ServiceAccount. */
export function admitServiceAccount(obj: KObject, lookups: Pick<AdmissionLookups, 'get'>): void {
  const pod = obj as unknown as Pod;
  const spec = pod.spec;
  if (!spec) return;
  // Mirror pods (static pods a kubelet reports) have no ServiceAccount: upstream leaves them alone.
  if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
  spec.serviceAccountName ||= DEFAULT_SERVICE_ACCOUNT;
  // The deprecated alias follows the name, as upstream's defaulting.
  spec.serviceAccount = spec.serviceAccountName;
  const namespace = pod.metadata!.namespace!;
  const sa = lookups.get(SERVICE_ACCOUNTS, namespace, spec.serviceAccountName);
  if (!sa) {
    throw forbidden(
      { plural: 'pods', group: '' },
      pod.metadata?.name ?? '',
      `error looking up service account ${namespace}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`,
    );
  }
  // The ServiceAccount's image pull secrets, unless the pod names its own.
  const pullSecrets = (sa as { imagePullSecrets?: Array<{ name?: string }> }).imagePullSecrets;
  if (!spec.imagePullSecrets?.length && pullSecrets?.length) spec.imagePullSecrets = pullSecrets.map((s) => ({ name: s.name }));
  const automount = spec.automountServiceAccountToken ?? (sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken ?? true;
  if (automount) mountToken(pod);
}

function mountToken(pod: Pod): void {
  const spec = pod.spec!;
  const existing = (spec.volumes ?? []).find((v) => v.name.startsWith(TOKEN_VOLUME_PREFIX));
  const volumeName = existing?.name ?? generateName(TOKEN_VOLUME_PREFIX);
  let needed = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    // A container that mounts something of its own at the path keeps it.
    if ((c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
    (c.volumeMounts ??= []).push({ name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
    needed = true;
  }
  if (needed && !existing) (spec.volumes ??= []).push(tokenVolume(volumeName));
}

/**
 * A pod created right after its namespace may come before the namespace's `default`
 * ServiceAccount (NamespaceLifecycle writes it a moment after the namespace): it waits for it a
 * little rather than fail, as it may on upstream (where the ReplicaSet controller retries).
 */
async function awaitDefaultServiceAccount(lookups: AdmissionLookups, namespace: string): Promise<void> {
  for (const deadline = Date.now() + DEFAULT_SA_WAIT_MS; !lookups.get(SERVICE_ACCOUNTS, namespace, DEFAULT_SERVICE_ACCOUNT) && Date.now() < deadline;) {
    const ns = lookups.getNamespace(namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const serviceAccount: AdmissionPlugin = {
  name: 'ServiceAccount',
  handles: (a) => a.operation === 'CREATE' && a.resource.key === 'pods' && a.subresource === '',
  lookupsFor: (a) => [[SERVICE_ACCOUNTS, a.namespace, saName(a.object)]],
  async admit(a) {
    if (!a.object || !a.namespace) return;
    if (saName(a.object) === DEFAULT_SERVICE_ACCOUNT) await awaitDefaultServiceAccount(a.lookups, a.namespace);
    admitServiceAccount(a.object, a.lookups);
  },
};
