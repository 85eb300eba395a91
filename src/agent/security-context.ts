// A container's effective securityContext as kubelet computes it (pkg/securitycontext
// DetermineEffectiveSecurityContext, kuberuntime's determineEffectiveSecurityContext and
// verifyRunAsNonRoot): pod-level user, group and non-root settings apply unless the container
// sets its own; an image's own user is used when neither sets runAsUser.
import type { Container, Pod, SecurityContext } from 'kubernetes-types/core/v1';
import type { Image } from '../runtime/index.js';
import { formatPod } from './lifecycle.js';

/** The container's securityContext with the pod-level fields it doesn't set itself filled in. */
export function effectiveSecurityContext(pod: Pod, c: Container): SecurityContext {
  const psc = pod.spec?.securityContext ?? {};
  const sc: SecurityContext = { ...(c.securityContext ?? {}) };
  const inherit = <K extends 'runAsUser' | 'runAsGroup' | 'runAsNonRoot' | 'seLinuxOptions' | 'seccompProfile' | 'appArmorProfile'>(k: K) => {
    if ((sc[k] === undefined || sc[k] === null) && psc[k] !== undefined && psc[k] !== null) sc[k] = psc[k] as SecurityContext[K];
  };
  inherit('runAsUser');
  inherit('runAsGroup');
  inherit('runAsNonRoot');
  inherit('seLinuxOptions');
  inherit('seccompProfile');
  inherit('appArmorProfile');
  return sc;
}

/** The user an image runs as (kubelet's getImageUser): a uid, else a user name, else root. */
export interface ImageUser {
  uid?: number;
  username?: string;
}

export function imageUser(image: Pick<Image, 'uid' | 'username'> | undefined): ImageUser {
  if (image?.uid !== undefined) return { uid: image.uid };
  if (image?.username) return { username: image.username };
  return { uid: 0 };
}

/** Supplemental groups of the pod's containers and sandbox: fsGroup first, then supplementalGroups (upstream's order). */
export function podSupplementalGroups(pod: Pod): number[] {
  const psc = pod.spec?.securityContext ?? {};
  return [...(psc.fsGroup !== undefined && psc.fsGroup !== null ? [psc.fsGroup] : []), ...(psc.supplementalGroups ?? [])];
}

/**
 * runAsNonRoot: why a container that would run as uid 0, or whose image names its user only by
 * name (which can't be checked), must not start (upstream's messages; the caller reports them
 * as CreateContainerConfigError); undefined when it may.
 */
export function runAsNonRootViolation(pod: Pod, c: Container, user: ImageUser): string | undefined {
  const sc = effectiveSecurityContext(pod, c);
  if (!sc.runAsNonRoot) return undefined;
  const where = `(pod: ${JSON.stringify(formatPod(pod))}, container: ${c.name})`;
  if (sc.runAsUser !== undefined && sc.runAsUser !== null) {
    return sc.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  }
  if (user.uid === 0) return `container has runAsNonRoot and image will run as root ${where}`;
  if (user.uid === undefined && user.username)
    return `container has runAsNonRoot and image has non-numeric user (${user.username}), cannot verify user is non-root ${where}`;
  return undefined;
}
