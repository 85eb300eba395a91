// Service validation, as upstream's ValidateService and ValidateServiceUpdate
// (pkg/apis/core/validation): names are DNS-1035 labels, ports are unique by port+protocol and
// named when there are several, type-dependent fields only where the type uses them, and a
// cluster IP never changes once set. Whether an IP or port is free and in range is the
// allocator's to say (./allocation.ts), after validation, as upstream.
import { isIP } from 'node:net';
import type { Validator } from '../../api/resource.js';
import { duplicate, forbidden, goValue, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidPortName } from '../../api/names.js';
import { validateLabels, validateObjectMeta, type NameValidator } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';
import { parseCidrSloppy } from '../../api/cidr-sloppy.js';

type Any = Record<string, any>;

const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const FAMILIES = ['IPv4', 'IPv6'];
/** Upstream's MaxClientIPServiceAffinitySeconds: one day. */
const MAX_AFFINITY_SECONDS = 86400;
const VALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

const nameIsDNS1035Label: NameValidator = (n, prefix) => isDNS1035Label(prefix && n.length > 1 && n.endsWith('-') ? n.slice(0, -1) + 'a' : n);

const SPEC = new Path('spec');

export function isHeadless(spec: Any): boolean {
  return spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None';
}

/** Upstream's ServicePort as Go prints it in a Duplicate error. */
function goServicePortKey(port: number, protocol: string) {
  return goValue(
    `core.ServicePort{Name:"", Protocol:"${protocol}", AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function validPortNumber(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
}

function validatePorts(spec: Any, errs: FieldError[]): void {
  const ports: Any[] = spec.ports ?? [];
  const pp = SPEC.child('ports');
  const names = new Set<string>();
  const keys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((port, i) => {
    const p = pp.index(i);
    if (ports.length > 1 && !port.name) errs.push(required(p.child('name').s));
    if (port.name) {
      for (const m of isDNS1123Label(port.name)) errs.push(invalid(p.child('name').s, port.name, m));
      if (names.has(port.name)) errs.push(duplicate(p.child('name').s, port.name));
      names.add(port.name);
    }
    if (!validPortNumber(port.port)) errs.push(invalid(p.child('port').s, port.port, 'must be between 1 and 65535, inclusive'));
    if (!port.protocol) errs.push(required(p.child('protocol').s));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(p.child('protocol').s, port.protocol, PROTOCOLS));
    const tp = port.targetPort;
    if (typeof tp === 'number') {
      if (!validPortNumber(tp)) errs.push(invalid(p.child('targetPort').s, tp, 'must be between 1 and 65535, inclusive'));
    } else if (typeof tp === 'string') {
      for (const m of isValidPortName(tp)) errs.push(invalid(p.child('targetPort').s, tp, m));
    }
    if (port.nodePort !== undefined && port.nodePort !== 0 && !validPortNumber(port.nodePort)) {
      errs.push(invalid(p.child('nodePort').s, port.nodePort, 'must be between 1 and 65535, inclusive'));
    }
    if (port.appProtocol !== undefined && port.appProtocol !== '') {
      // Upstream: a qualified name (a plain IANA name or a domain-prefixed one).
      if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(port.appProtocol)) {
        errs.push(
          invalid(
            p.child('appProtocol').s,
            port.appProtocol,
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
          ),
        );
      }
    }
    const key = `${port.port}/${port.protocol}`;
    if (keys.has(key)) errs.push(duplicate(p.s, goServicePortKey(port.port, port.protocol)));
    keys.add(key);
    if (port.nodePort) {
      const nk = `${port.nodePort}/${port.protocol}`;
      if (nodePorts.has(nk)) errs.push(duplicate(p.child('nodePort').s, port.nodePort));
      nodePorts.add(nk);
    }
  });
}

function validateClusterIPs(spec: Any, errs: FieldError[]): void {
  const ips: string[] = spec.clusterIPs ?? [];
  const cp = SPEC.child('clusterIPs');
  if (spec.type === 'ExternalName') {
    if (ips.length) errs.push(forbidden(cp.s, 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy) errs.push(forbidden(SPEC.child('ipFamilyPolicy').s, 'may not be set for ExternalName services'));
    if ((spec.ipFamilies ?? []).length) errs.push(forbidden(SPEC.child('ipFamilies').s, 'may not be set for ExternalName services'));
    return;
  }
  if (spec.clusterIP && ips.length && ips[0] !== spec.clusterIP) errs.push(invalid(cp.index(0).s, ips[0], 'must match `clusterIP` if specified'));
  if (ips.length > 2) errs.push(invalid(cp.s, goValue(`[]string{${ips.map((i) => JSON.stringify(i)).join(', ')}}`), 'may only hold up to 2 values'));
  ips.forEach((ip, i) => {
    if (ip === 'None') {
      if (i > 0 || ips.length > 1)
        errs.push(invalid(cp.s, goValue(`[]string{${ips.map((x) => JSON.stringify(x)).join(', ')}}`), "'None' must be the first and only value"));
      else if (spec.type === 'NodePort' || spec.type === 'LoadBalancer')
        errs.push(invalid(cp.index(0).s, ip, `may not be set to 'None' for ${spec.type} services`));
      return;
    }
    if (!isIP(ip)) errs.push(invalid(cp.index(i).s, ip, VALID_IP));
  });
  if (spec.ipFamilyPolicy !== undefined && !FAMILY_POLICIES.includes(spec.ipFamilyPolicy))
    errs.push(notSupported(SPEC.child('ipFamilyPolicy').s, spec.ipFamilyPolicy, FAMILY_POLICIES));
  const fams: string[] = spec.ipFamilies ?? [];
  fams.forEach((f, i) => {
    if (!FAMILIES.includes(f)) errs.push(notSupported(SPEC.child('ipFamilies').index(i).s, f, FAMILIES));
    else if (fams.indexOf(f) !== i) errs.push(duplicate(SPEC.child('ipFamilies').index(i).s, f));
  });
  if (fams.length > 2)
    errs.push(
      invalid(SPEC.child('ipFamilies').s, goValue(`[]core.IPFamily{${fams.map((f) => JSON.stringify(f)).join(', ')}}`), 'may only hold up to 2 values'),
    );
  if (spec.ipFamilyPolicy === 'SingleStack' && ips.length > 1)
    errs.push(
      invalid(cp.s, goValue(`[]string{${ips.map((x) => JSON.stringify(x)).join(', ')}}`), "must have at most 1 value for 'SingleStack' ipFamilyPolicy"),
    );
  // A given IP must belong to the family listed in the same position.
  ips.forEach((ip, i) => {
    const fam = fams[i];
    if (ip === 'None' || !fam || !isIP(ip)) return;
    if ((isIP(ip) === 4) !== (fam === 'IPv4')) errs.push(invalid(cp.index(i).s, ip, `expected an ${fam} value as indicated by \`ipFamilies[${i}]\``));
  });
}

function validateSpec(spec: Any): FieldError[] {
  const errs: FieldError[] = [];
  const type = spec.type;
  if (!type) errs.push(required(SPEC.child('type').s));
  else if (!TYPES.includes(type)) errs.push(notSupported(SPEC.child('type').s, type, TYPES));
  if (!(spec.ports ?? []).length && !isHeadless(spec) && type !== 'ExternalName') errs.push(required(SPEC.child('ports').s));
  if (type === 'ExternalName') {
    const name = String(spec.externalName ?? '').replace(/\.$/, '');
    if (!name) errs.push(required(SPEC.child('externalName').s));
    else for (const m of isDNS1123Subdomain(name)) errs.push(invalid(SPEC.child('externalName').s, spec.externalName, m));
  }
  validatePorts(spec, errs);
  validateClusterIPs(spec, errs);
  errs.push(...validateLabels(spec.selector, SPEC.child('selector')));
  if (!spec.sessionAffinity) errs.push(required(SPEC.child('sessionAffinity').s));
  else if (!AFFINITIES.includes(spec.sessionAffinity)) errs.push(notSupported(SPEC.child('sessionAffinity').s, spec.sessionAffinity, AFFINITIES));
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  const tp = SPEC.child('sessionAffinityConfig').child('clientIP').child('timeoutSeconds');
  if (spec.sessionAffinity === 'ClientIP') {
    if (timeout === undefined) errs.push(required(tp.s));
    else if (!(timeout > 0 && timeout <= MAX_AFFINITY_SECONDS))
      errs.push(invalid(tp.s, timeout, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
  } else if (spec.sessionAffinityConfig) {
    errs.push(forbidden(SPEC.child('sessionAffinityConfig').s, `must not be set when session affinity is ${spec.sessionAffinity}`));
  }
  if (type === 'ClusterIP' || type === 'ExternalName') {
    (spec.ports ?? []).forEach((port: Any, i: number) => {
      if (port.nodePort) errs.push(forbidden(SPEC.child('ports').index(i).child('nodePort').s, `may not be used when \`type\` is '${type}'`));
    });
  }
  const etp = spec.externalTrafficPolicy;
  if (type === 'NodePort' || type === 'LoadBalancer') {
    if (!etp) errs.push(required(SPEC.child('externalTrafficPolicy').s));
    else if (!TRAFFIC_POLICIES.includes(etp)) errs.push(notSupported(SPEC.child('externalTrafficPolicy').s, etp, TRAFFIC_POLICIES));
  } else if (etp) {
    errs.push(invalid(SPEC.child('externalTrafficPolicy').s, etp, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
  }
  if (spec.healthCheckNodePort && !(type === 'LoadBalancer' && etp === 'Local')) {
    errs.push(
      invalid(
        SPEC.child('healthCheckNodePort').s,
        spec.healthCheckNodePort,
        "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
      ),
    );
  }
  const itp = spec.internalTrafficPolicy;
  if (type !== 'ExternalName') {
    if (!itp) errs.push(required(SPEC.child('internalTrafficPolicy').s));
    else if (!TRAFFIC_POLICIES.includes(itp)) errs.push(notSupported(SPEC.child('internalTrafficPolicy').s, itp, TRAFFIC_POLICIES));
  }
  (spec.externalIPs ?? []).forEach((ip: string, i: number) => {
    if (!isIP(ip)) errs.push(invalid(SPEC.child('externalIPs').index(i).s, ip, VALID_IP));
  });
  // Upstream 1.32 (ServiceTrafficDistribution, beta): PreferClose only.
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== 'PreferClose') {
    errs.push(notSupported(SPEC.child('trafficDistribution').s, spec.trafficDistribution, ['PreferClose']));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && type !== 'LoadBalancer') {
    errs.push(forbidden(SPEC.child('allocateLoadBalancerNodePorts').s, "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.loadBalancerClass !== undefined && type !== 'LoadBalancer') {
    errs.push(forbidden(SPEC.child('loadBalancerClass').s, "may only be used when `type` is 'LoadBalancer'"));
  }
  return errs;
}

function validateStatus(status: Any | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const ip = new Path('status').child('loadBalancer').child('ingress');
  ((status?.loadBalancer?.ingress ?? []) as Any[]).forEach((ing, i) => {
    if (ing.ip && !isIP(ing.ip)) errs.push(invalid(ip.index(i).child('ip').s, ing.ip, VALID_IP));
    if (ing.ipMode !== undefined && !['VIP', 'Proxy'].includes(ing.ipMode))
      errs.push(notSupported(ip.index(i).child('ipMode').s, ing.ipMode, ['Proxy', 'VIP']));
    if (ing.hostname) {
      for (const m of isDNS1123Subdomain(ing.hostname)) errs.push(invalid(ip.index(i).child('hostname').s, ing.hostname, m));
      if (isIP(ing.hostname)) errs.push(invalid(ip.index(i).child('hostname').s, ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

/** What an update may not change: the primary cluster IP, unless the service is or becomes ExternalName. */
function validateUpdate(spec: Any, old: Any): FieldError[] {
  if (spec.type === 'ExternalName' || old.type === 'ExternalName') return [];
  const before: string[] = old.clusterIPs ?? [];
  const after: string[] = spec.clusterIPs ?? [];
  if (before.length && (after[0] ?? '') !== before[0]) {
    return [invalid(SPEC.child('clusterIPs').index(0).s, goValue(`[]string{${after.map((x) => JSON.stringify(x)).join(', ')}}`), 'may not change once set')];
  }
  return [];
}

const validateMeta = (o: Any) => validateObjectMeta(o.metadata, true, nameIsDNS1035Label);

/** The legacy form of spec.loadBalancerSourceRanges, read when the field is empty. */
export const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';
const VALID_CIDR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/**
 * loadBalancerSourceRanges, or else its annotation: LoadBalancer only, each entry a CIDR as
 * ParseCIDRSloppy reads it, space padding allowed. The field's path keeps upstream's historical
 * capital L (spec.LoadBalancerSourceRanges[i]).
 */
function validateSourceRanges(o: Any): FieldError[] {
  const errs: FieldError[] = [];
  const spec = o.spec ?? {};
  const ranges: unknown[] = Array.isArray(spec.loadBalancerSourceRanges) ? spec.loadBalancerSourceRanges : [];
  const annotation = o.metadata?.annotations?.[SOURCE_RANGES_ANNOTATION];
  let path: Path;
  let values: string[];
  if (ranges.length) {
    path = SPEC.child('LoadBalancerSourceRanges');
    values = ranges.map((r) => String(r).trim());
  } else if (typeof annotation === 'string') {
    path = new Path('metadata').child('annotations').key(SOURCE_RANGES_ANNOTATION);
    values = annotation.trim() ? annotation.split(',').map((r) => r.trim()) : [];
  } else return errs;
  if (spec.type !== 'LoadBalancer') errs.push(forbidden(path.s, "may only be used when `type` is 'LoadBalancer'"));
  values.forEach((v, i) => {
    if (!parseCidrSloppy(v)) errs.push(invalid((ranges.length ? path.index(i) : path).s, v, VALID_CIDR));
  });
  return errs;
}

export const serviceValidator: Validator = {
  create: (o) => [...validateMeta(o), ...validateSpec((o as Any).spec ?? {}), ...validateSourceRanges(o)],
  update: (o, old) => [
    ...validateMeta(o),
    ...validateSpec((o as Any).spec ?? {}),
    ...validateSourceRanges(o),
    ...validateUpdate((o as Any).spec ?? {}, (old as Any).spec ?? {}),
  ],
  updateStatus: (o) => [...validateMeta(o), ...validateStatus((o as Any).status)],
};
