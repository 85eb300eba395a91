// What each write of a CertificateSigningRequest may change, as upstream's
// pkg/registry/certificates/certificates/strategy.go: the main resource only metadata; the
// approval subresource only the Approved and Denied conditions; the status subresource the
// certificate and the other conditions. Approval and issuance stay separate concerns.
import type { KObject } from '../../api/object.js';
import type { CsrCondition, CsrStatus } from '../../api/csr.js';
import type { Strategy, Subresource } from '../strategy.js';
import { ADMIN, type UserInfo } from '../../apiserver/authn.js';
import { NODE_PASSWORD_ANNOTATION, hashNodePassword } from '../../api/kubelet-identity.js';
import { rfc3339 } from '../../client/time.js';

type Csr = KObject & { spec?: Record<string, unknown>; status?: CsrStatus };

/**
 * Who asked: the authenticated user. Whatever the client put in these fields is replaced, as
 * upstream fills them from the request's user (the approver trusts them).
 */
export function setRequestor(obj: KObject, user: UserInfo = ADMIN): void {
  const spec = ((obj as Csr).spec ??= {});
  spec.username = user.name;
  spec.groups = [...user.groups];
  delete spec.uid;
  delete spec.extra;
  hidePassword(obj);
}

/** A node password (client-cert.ts) is stored as its hash only; a hash given is hashed again. */
function hidePassword(obj: KObject): void {
  const annotations = obj.metadata.annotations;
  const given = annotations?.[NODE_PASSWORD_ANNOTATION];
  if (annotations && typeof given === 'string') annotations[NODE_PASSWORD_ANNOTATION] = hashNodePassword(given);
}

const APPROVAL = new Set(['Approved', 'Denied']);

/** Conditions of want whose type passes `take`, the rest as they were in old; timestamps filled in. */
function mergeConditions(want: CsrCondition[], old: CsrCondition[], take: (type: string) => boolean): CsrCondition[] {
  const now = rfc3339();
  const out = [...old.filter((c) => !take(c.type)), ...want.filter((c) => take(c.type))];
  return out.map((c) => {
    const prev = old.find((o) => o.type === c.type);
    const status = c.status ?? 'True';
    const changed = !prev || (prev.status ?? 'True') !== status;
    return {
      ...c,
      status,
      lastUpdateTime: c.lastUpdateTime ?? now,
      lastTransitionTime: c.lastTransitionTime ?? (changed ? now : (prev?.lastTransitionTime ?? now)),
    };
  });
}

export function prepareCsrUpdate(wanted: KObject, current: KObject, subresource: Subresource): KObject {
  const cur = current as Csr;
  const want = wanted as Csr;
  const next = structuredClone(cur) as Csr;
  next.metadata = want.metadata;
  const oldConds = cur.status?.conditions ?? [];
  const wantConds = want.status?.conditions ?? [];
  if (subresource === 'approval') {
    next.status = { ...(cur.status ?? {}), conditions: mergeConditions(wantConds, oldConds, (t) => APPROVAL.has(t)) };
  } else if (subresource === 'status') {
    const status: CsrStatus = { ...(want.status ?? {}), conditions: mergeConditions(wantConds, oldConds, (t) => !APPROVAL.has(t)) };
    next.status = status;
  }
  if (next.status && !next.status.conditions?.length) delete next.status.conditions;
  return next;
}

export const csrStrategy: Strategy = {
  prepareForCreate: (obj, _lookups, user) => setRequestor(obj, user),
  // binding and finalize are not CSR subresources; the main resource, status and approval are split here.
  resetFields: (wanted, current, subresource) =>
    subresource !== 'binding' && subresource !== 'finalize' ? prepareCsrUpdate(wanted, current, subresource) : undefined,
};
