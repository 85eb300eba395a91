// Endpoints validation, as upstream's ValidateEndpoints: every subset has addresses, each a
// routable IP (not loopback, link-local or link-local multicast: the proxy would send traffic
// there), ports named when there are several.
import { isIP } from 'node:net';
import type { Validator } from '../../api/resource.js';
import { duplicate, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../api/names.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Any = Record<string, any>;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** Upstream's ValidateNonSpecialIP: an address traffic may really be sent to. */
export function specialIpErrors(ip: string, p: string): FieldError[] {
  const fam = isIP(ip);
  if (!fam) return [invalid(p, ip, 'must be a valid IP address')];
  if (fam === 4) {
    const [a, b, c] = ip.split('.').map(Number) as [number, number, number];
    if (a === 0 && b === 0 && c === 0 && ip === '0.0.0.0') return [invalid(p, ip, 'may not be unspecified (0.0.0.0)')];
    if (a === 127) return [invalid(p, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
    if (a === 169 && b === 254) return [invalid(p, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
    if (a === 224 && b === 0 && c === 0) return [invalid(p, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
    return [];
  }
  const low = ip.toLowerCase();
  if (low === '::') return [invalid(p, ip, 'may not be unspecified (::)')];
  if (low === '::1') return [invalid(p, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if (/^fe[89ab]/.test(low)) return [invalid(p, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  if (low.startsWith('ff02:')) return [invalid(p, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  return [];
}

function validateAddress(a: Any, p: Path, errs: FieldError[]): void {
  errs.push(...specialIpErrors(String(a.ip ?? ''), p.child('ip').s));
  if (a.hostname) for (const m of isDNS1123Label(a.hostname)) errs.push(invalid(p.child('hostname').s, a.hostname, m));
  if (a.nodeName) for (const m of isDNS1123Subdomain(a.nodeName)) errs.push(invalid(p.child('nodeName').s, a.nodeName, m));
}

export function validatePort(port: Any, requireName: boolean, p: Path, names: Set<string>, errs: FieldError[]): void {
  if (requireName && !port.name) errs.push(required(p.child('name').s));
  else if (port.name) {
    for (const m of isDNS1123Label(port.name)) errs.push(invalid(p.child('name').s, port.name, m));
    if (names.has(port.name)) errs.push(duplicate(p.child('name').s, port.name));
    names.add(port.name);
  }
  if (!(Number.isInteger(port.port) && port.port >= 1 && port.port <= 65535))
    errs.push(invalid(p.child('port').s, port.port, 'must be between 1 and 65535, inclusive'));
  if (!port.protocol) errs.push(required(p.child('protocol').s));
  else if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(p.child('protocol').s, port.protocol, PROTOCOLS));
}

function validateSubsets(subsets: Any[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  (subsets ?? []).forEach((ss, i) => {
    const p = new Path('subsets').index(i);
    if (!(ss.addresses ?? []).length && !(ss.notReadyAddresses ?? []).length) errs.push(required(p.s, 'must specify `addresses` or `notReadyAddresses`'));
    (ss.addresses ?? []).forEach((a: Any, j: number) => validateAddress(a, p.child('addresses').index(j), errs));
    (ss.notReadyAddresses ?? []).forEach((a: Any, j: number) => validateAddress(a, p.child('notReadyAddresses').index(j), errs));
    const names = new Set<string>();
    const ports: Any[] = ss.ports ?? [];
    ports.forEach((port, j) => validatePort(port, ports.length > 1, p.child('ports').index(j), names, errs));
  });
  return errs;
}

export const endpointsValidator: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateSubsets((o as Any).subsets)],
};
