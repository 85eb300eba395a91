// What each write of a CertificateSigningRequest may change, as upstream's
// pkg/registry/certificates/certificates/strategy.go: the main resource only metadata; the
// approval subresource only the Approved and Denied conditions; the status subresource the
// certificate and the other conditions. Approval and issuance stay separate concerns.
import type { KObject } from '../../api/object.js';
import type { CsrCondition, CsrStatus } from '../../api/csr.js';
import type { Strategy, Subresource } from '../strategy.js';
import { rfc3339 } from '../../client/time.js';

/**
 * Who asked: there is one credential today (the admin token), so every request is the admin's.
 * Whatever the client put in these fields is replaced, as upstream fills them from the request's user.
 */
export const REQUESTOR = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

type Csr = KObject & { spec?: Record<string, unknown>; status?: CsrStatus };

export function setRequestor(obj: KObject): void {
  const spec = ((obj as Csr).spec ??= {});
  spec.username = REQUESTOR.username;
  spec.groups = [...REQUESTOR.groups];
  delete spec.uid;
  delete spec.extra;
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
    return { ...c, status, lastUpdateTime: c.lastUpdateTime ?? now, lastTransitionTime: c.lastTransitionTime ?? (changed ? now : (prev?.lastTransitionTime ?? now)) };
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
  prepareForCreate: setRequestor,
  // binding and finalize are not CSR subresources; the main resource, status and approval are split here.
  resetFields: (wanted, current, subresource) =>
    subresource !== 'binding' && subresource !== 'finalize' ? prepareCsrUpdate(wanted, current, subresource) : undefined,
};
