// The server's authorizer chain, as kube-apiserver's --authorization-mode: the privileged group
// (system:masters) is always allowed, then each mode in order may allow; nothing allowing is a
// 403 with upstream's wording (responsewriters.Forbidden).
import { ApiError } from '../errors.js';
import { SYSTEM_PRIVILEGED_GROUP } from '../authn/user.js';
import type { Attributes } from './attributes.js';
import type { Decision, RbacAuthorizer } from './rbac.js';
import type { NodeAuthorizer } from './node/node-authorizer.js';

export const AUTHORIZATION_MODES = ['Node', 'RBAC', 'AlwaysAllow', 'AlwaysDeny'] as const;
export type AuthorizationMode = (typeof AUTHORIZATION_MODES)[number];
export const DEFAULT_AUTHORIZATION_MODES: AuthorizationMode[] = ['Node', 'RBAC'];

/** `--authorization-mode Node,RBAC`: known modes, each once. */
export function parseAuthorizationModes(s: string): AuthorizationMode[] {
  const modes = s.split(',').map((m) => m.trim());
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m))
      throw new Error(`--authorization-mode: unknown mode ${JSON.stringify(m)} (known: ${AUTHORIZATION_MODES.join(', ')})`);
  }
  if (new Set(modes).size !== modes.length) throw new Error(`--authorization-mode: a mode is given twice in ${JSON.stringify(s)}`);
  return modes as AuthorizationMode[];
}

export class Authorizer {
  constructor(
    readonly modes: AuthorizationMode[],
    readonly rbac: RbacAuthorizer,
    readonly node?: NodeAuthorizer,
  ) {}

  authorize(a: Attributes): Decision {
    if (a.user.groups.includes(SYSTEM_PRIVILEGED_GROUP)) return { allowed: true, reason: '' };
    const reasons: string[] = [];
    for (const mode of this.modes) {
      if (mode === 'AlwaysAllow') return { allowed: true, reason: '' };
      if (mode === 'AlwaysDeny') return { allowed: false, reason: reasons.join('\n') };
      if (mode === 'RBAC' || (mode === 'Node' && this.node)) {
        const d = mode === 'RBAC' ? this.rbac.authorize(a) : this.node!.authorize(a);
        if (d.allowed) return d;
        if (d.reason) reasons.push(d.reason);
      }
    }
    return { allowed: false, reason: reasons.join('\n') };
  }

  /** Throws upstream's 403 unless the request is allowed. */
  check(a: Attributes): void {
    const d = this.authorize(a);
    if (!d.allowed) throw forbiddenError(a, d.reason);
  }
}

/** Upstream's forbiddenMessage: who cannot do what, where. */
export function forbiddenMessage(a: Attributes): string {
  if (!a.resourceRequest) return `User ${JSON.stringify(a.user.name)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(a.user.name)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}

const sanitize = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The 403 Status as upstream's apierrors.NewForbidden of the request's group and resource. */
export function forbiddenError(a: Attributes, reason: string): ApiError {
  const msg = sanitize(forbiddenMessage(a));
  const why = reason ? `${msg}: ${reason}` : msg;
  if (!a.resourceRequest) return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const message = a.name ? `${qualified} ${JSON.stringify(a.name)} is forbidden: ${why}` : `${qualified} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, { ...(a.name ? { name: a.name } : {}), ...(a.apiGroup ? { group: a.apiGroup } : {}), kind: a.resource });
}
