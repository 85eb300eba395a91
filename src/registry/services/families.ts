// IP families of a Service in this (IPv4 single-stack) cluster, as upstream's
// initIPFamilyFields: ipFamilyPolicy SingleStack and ipFamilies [IPv4] unless said otherwise; a
// headless Service without a selector gets RequireDualStack (its records follow its endpoints,
// whatever their family); dual-stack or IPv6 asked of a ClusterIP is refused.
import { isIP } from 'node:net';
import { invalid as fieldInvalid, type FieldError } from '../../api/field-errors.js';
import type { KObject } from '../../api/object.js';
import { invalid } from '../../apiserver/errors.js';

type Any = Record<string, any>;

/** The families this cluster serves, primary first. */
export const CLUSTER_FAMILIES = ['IPv4'];

export function initIPFamilies(obj: KObject): void {
  const spec: Any = (obj as Any).spec ?? {};
  if ((spec.type || 'ClusterIP') === 'ExternalName') return;
  const errs: FieldError[] = [];
  const headless = spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None';
  if (headless && !Object.keys(spec.selector ?? {}).length) {
    spec.ipFamilyPolicy ??= 'RequireDualStack';
    if (!(spec.ipFamilies ?? []).length) spec.ipFamilies = [...CLUSTER_FAMILIES];
    return;
  }
  spec.ipFamilyPolicy ??= 'SingleStack';
  if (spec.ipFamilyPolicy === 'RequireDualStack')
    errs.push(fieldInvalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
  const fams: string[] = spec.ipFamilies ?? [];
  fams.forEach((f, i) => {
    if (!CLUSTER_FAMILIES.includes(f)) errs.push(fieldInvalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
  });
  if (fams.length > 1 && spec.ipFamilyPolicy === 'SingleStack')
    errs.push(
      fieldInvalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"),
    );
  const ips: string[] = spec.clusterIPs ?? [];
  ips.forEach((ip, i) => {
    if (ip !== 'None' && isIP(ip) === 6) errs.push(fieldInvalid(`spec.clusterIPs[${i}]`, ip, 'not configured on this cluster'));
  });
  if (errs.length) throw invalid('Service', '', obj.metadata.name ?? '', errs);
  if (!fams.length) spec.ipFamilies = [CLUSTER_FAMILIES[0]];
}
