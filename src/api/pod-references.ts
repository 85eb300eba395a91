// The objects a pod uses, by kind, as upstream's podutil.VisitPodSecretNames /
// VisitPodConfigmapNames and the Node authorizer's graph populator read them: what a node must
// be able to read to run the pod (image pull secrets, env, envFrom, volumes and projected
// sources of every container kind), and nothing else.
import type { Pod, Volume, Container, EphemeralContainer } from 'kubernetes-types/core/v1';

export interface PodReferences {
  secrets: Set<string>;
  configmaps: Set<string>;
  persistentvolumeclaims: Set<string>;
  serviceaccounts: Set<string>;
}

/** The secret names a volume source may carry (volume plugins that take credentials). */
function volumeSecrets(v: Volume, add: (name: string | undefined) => void): void {
  add(v.secret?.secretName);
  add(v.azureFile?.secretName);
  add(v.cephfs?.secretRef?.name);
  add(v.cinder?.secretRef?.name);
  add(v.flexVolume?.secretRef?.name);
  add(v.rbd?.secretRef?.name);
  add(v.scaleIO?.secretRef?.name);
  add(v.iscsi?.secretRef?.name);
  add(v.storageos?.secretRef?.name);
  add(v.csi?.nodePublishSecretRef?.name);
  for (const s of v.projected?.sources ?? []) add(s.secret?.name);
}

export function podReferences(pod: Pod): PodReferences {
  const refs: PodReferences = { secrets: new Set(), configmaps: new Set(), persistentvolumeclaims: new Set(), serviceaccounts: new Set() };
  const into = (set: Set<string>) => (name: string | undefined) => {
    if (name) set.add(name);
  };
  const secret = into(refs.secrets);
  const configmap = into(refs.configmaps);
  const spec = pod.spec;
  if (!spec) return refs;
  for (const s of spec.imagePullSecrets ?? []) secret(s.name);
  const containers: Array<Container | EphemeralContainer> = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
  for (const c of containers) {
    for (const e of c.envFrom ?? []) {
      secret(e.secretRef?.name);
      configmap(e.configMapRef?.name);
    }
    for (const e of c.env ?? []) {
      secret(e.valueFrom?.secretKeyRef?.name);
      configmap(e.valueFrom?.configMapKeyRef?.name);
    }
  }
  for (const v of spec.volumes ?? []) {
    volumeSecrets(v, secret);
    configmap(v.configMap?.name);
    for (const s of v.projected?.sources ?? []) configmap(s.configMap?.name);
    into(refs.persistentvolumeclaims)(v.persistentVolumeClaim?.claimName);
    // A generic ephemeral volume's claim is named after the pod and the volume (upstream's ephemeral.VolumeClaimName).
    if (v.ephemeral && pod.metadata?.name) refs.persistentvolumeclaims.add(`${pod.metadata.name}-${v.name}`);
  }
  into(refs.serviceaccounts)(spec.serviceAccountName);
  return refs;
}
