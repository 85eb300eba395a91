// ResourceQuota validation, as upstream's ValidateResourceQuota: quota resource names,
// non-negative quantities, known scopes that do not conflict and fit the resources.
import type { ResourceQuota } from 'kubernetes-types/core/v1';
import type { Validator } from '../../api/resource.js';
import { goValue, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { Quantity } from '../../api/quantity.js';
import { isQualifiedName } from '../../api/names.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

const SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const POD_COUNT = new Set(['pods']);
const POD_COMPUTE = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

function validResourceName(name: string, p: Path, errs: FieldError[]): void {
  const checked = name.startsWith('count/') ? name.slice('count/'.length) : name;
  for (const m of isQualifiedName(checked.replace(/^(requests|limits)\./, ''))) errs.push(invalid(p.s, name, m));
}

function validateList(l: Record<string, unknown> | undefined, p: Path, errs: FieldError[]): void {
  for (const [k, v] of Object.entries(l ?? {})) {
    const fp = p.key(k);
    validResourceName(k, fp, errs);
    const q = Quantity.tryParse(String(v));
    if (q && q.sign() < 0) errs.push(invalid(fp.s, String(v), 'must be greater than or equal to 0'));
  }
}

/** Upstream's IsResourceQuotaScopeValidForResource. */
function scopeFits(scope: string, resource: string): boolean {
  if (scope === 'BestEffort') return POD_COUNT.has(resource);
  if (SCOPES.includes(scope)) return POD_COUNT.has(resource) || POD_COMPUTE.has(resource);
  return true;
}

function validateScopes(q: ResourceQuota, errs: FieldError[]): void {
  const spec = q.spec ?? {};
  const p = new Path('spec');
  const hard = Object.keys(spec.hard ?? {});
  const scopes = spec.scopes ?? [];
  const used = new Set<string>();
  for (const s of scopes) {
    if (!SCOPES.includes(s)) errs.push(notSupported(p.child('scopes').s, s, SCOPES));
    used.add(s);
  }
  const exprs = spec.scopeSelector?.matchExpressions ?? [];
  exprs.forEach((e, i) => {
    const ep = p.child('scopeSelector').child('matchExpressions').index(i);
    if (!SCOPES.includes(e.scopeName)) errs.push(notSupported(ep.child('scopeName').s, e.scopeName, SCOPES));
    if (!OPERATORS.includes(e.operator)) errs.push(notSupported(ep.child('operator').s, e.operator, OPERATORS));
    else if ((e.operator === 'In' || e.operator === 'NotIn') && !e.values?.length)
      errs.push(required(ep.child('values').s, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && e.values?.length)
      errs.push(
        invalid(
          ep.child('values').s,
          goValue(`[]string{${e.values.map((v) => JSON.stringify(v)).join(', ')}}`),
          "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
        ),
      );
    used.add(e.scopeName);
  });
  const all = [...scopes, ...exprs.map((e) => e.scopeName)];
  if (hard.some((r) => all.some((s) => !scopeFits(s, r)))) {
    errs.push(
      invalid(
        p.child('scopes').s,
        goValue(`[]core.ResourceQuotaScope{${scopes.map((s) => JSON.stringify(s)).join(', ')}}`),
        'unsupported scope applied to resource',
      ),
    );
  }
  for (const [a, b] of [
    ['Terminating', 'NotTerminating'],
    ['BestEffort', 'NotBestEffort'],
  ]) {
    if (used.has(a!) && used.has(b!)) {
      errs.push(invalid(p.child('scopes').s, goValue(`[]core.ResourceQuotaScope{${scopes.map((s) => JSON.stringify(s)).join(', ')}}`), 'conflicting scopes'));
    }
  }
}

export function validateResourceQuota(q: ResourceQuota): FieldError[] {
  const errs: FieldError[] = [];
  validateList(q.spec?.hard, new Path('spec').child('hard'), errs);
  validateList(q.status?.hard, new Path('status').child('hard'), errs);
  validateList(q.status?.used, new Path('status').child('used'), errs);
  validateScopes(q, errs);
  return errs;
}

export const resourceQuotaValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateResourceQuota(o as ResourceQuota)],
  updateStatus: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateResourceQuota(o as ResourceQuota)],
};
