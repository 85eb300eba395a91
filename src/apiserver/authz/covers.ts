// Whether one set of rules grants everything another does, as upstream's
// pkg/registry/rbac/validation.Covers: the wanted rules are broken into atoms (one verb on one
// group/resource/name, or one verb on one URL) and each atom must be granted by some owned rule.
// Escalation prevention and the default-policy reconciliation both ask this.
import type { PolicyRule } from 'kubernetes-types/rbac/v1';

const covers = (owner: string[] | undefined, v: string) => !!owner && (owner.includes('*') || owner.includes(v));

function resourceCovered(owner: string[] | undefined, resource: string): boolean {
  if (covers(owner, resource)) return true;
  const slash = resource.indexOf('/');
  if (slash < 0) return false;
  // `pods/*` owns every subresource of pods, `*/scale` the scale of everything.
  return !!owner && (owner.includes(`${resource.slice(0, slash)}/*`) || owner.includes(`*/${resource.slice(slash + 1)}`));
}

function urlCovered(owner: string[] | undefined, url: string): boolean {
  for (const o of owner ?? []) {
    if (o === '*' || o === url) return true;
    if (o.endsWith('*') && url.startsWith(o.replace(/\*+$/, ''))) return true;
  }
  return false;
}

/** Each rule reduced to single verbs, groups, resources, names and URLs (upstream's BreakdownRule). */
export function breakdownRule(r: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of r.verbs ?? []) {
    for (const group of r.apiGroups ?? []) {
      for (const resource of r.resources ?? []) {
        if (r.resourceNames?.length)
          for (const name of r.resourceNames) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
        else out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
      }
    }
    for (const url of r.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
  }
  return out;
}

function ruleCovers(owner: PolicyRule, atom: PolicyRule): boolean {
  if (!covers(owner.verbs, atom.verbs![0]!)) return false;
  if (atom.nonResourceURLs?.length) return urlCovered(owner.nonResourceURLs, atom.nonResourceURLs[0]!);
  if (!covers(owner.apiGroups, atom.apiGroups![0]!) || !resourceCovered(owner.resources, atom.resources![0]!)) return false;
  if (!owner.resourceNames?.length) return true;
  return !!atom.resourceNames?.length && owner.resourceNames.includes(atom.resourceNames[0]!);
}

/** The atoms of `wanted` that no rule of `owned` grants (none: owned covers wanted). */
export function uncoveredRules(owned: PolicyRule[], wanted: PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const r of wanted) for (const atom of breakdownRule(r)) if (!owned.some((o) => ruleCovers(o, atom))) missing.push(atom);
  return missing;
}
