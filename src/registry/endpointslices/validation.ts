// EndpointSlice validation, as upstream's pkg/apis/discovery/validation: addressType set once
// (IPv4, IPv6 or FQDN) and every address of that type, at most 1000 endpoints of at most 100
// addresses each, at most 20000 ports with unique names.
import { isIP } from 'node:net';
import type { Validator } from '../../api/resource.js';
import { duplicate, invalid, notSupported, required, tooMany as tooManyItems, type FieldError } from '../../api/field-errors.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../api/names.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';
import { specialIpErrors } from '../endpoints/validation.js';

type Any = Record<string, any>;

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
export const MAX_ENDPOINTS = 1000;
export const MAX_ADDRESSES = 100;
export const MAX_PORTS = 20000;
const MAX_ZONE_HINTS = 8;

/** Upstream prints the count: "Too many: 1001: must have at most 1000 items". */
const tooMany = (field: string, n: number, max: number): FieldError => ({ ...tooManyItems(field, n, max), omitValue: false });

function validateAddress(addr: unknown, type: string, p: string, errs: FieldError[]): void {
  const a = String(addr ?? '');
  if (type === 'IPv4') {
    if (isIP(a) !== 4) errs.push(invalid(p, a, 'must be a valid IPv4 address'));
    else errs.push(...specialIpErrors(a, p));
  } else if (type === 'IPv6') {
    if (isIP(a) !== 6) errs.push(invalid(p, a, 'must be a valid IPv6 address'));
    else errs.push(...specialIpErrors(a, p));
  } else if (type === 'FQDN') {
    for (const m of isDNS1123Subdomain(a)) errs.push(invalid(p, a, m));
  }
}

function validateEndpoints(eps: Any[], type: string, errs: FieldError[]): void {
  const ep = new Path('endpoints');
  if (eps.length > MAX_ENDPOINTS) {
    errs.push(tooMany(ep.s, eps.length, MAX_ENDPOINTS));
    return;
  }
  eps.forEach((e, i) => {
    const p = ep.index(i);
    const addrs: unknown[] = e.addresses ?? [];
    if (!addrs.length) errs.push(required(p.child('addresses').s, 'must contain at least 1 address'));
    else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(p.child('addresses').s, addrs.length, MAX_ADDRESSES));
    else addrs.forEach((a, j) => validateAddress(a, type, p.child('addresses').index(j).s, errs));
    if (e.hostname) for (const m of isDNS1123Label(e.hostname)) errs.push(invalid(p.child('hostname').s, e.hostname, m));
    if (e.nodeName) for (const m of isDNS1123Subdomain(e.nodeName)) errs.push(invalid(p.child('nodeName').s, e.nodeName, m));
    const zones: Any[] = e.hints?.forZones ?? [];
    if (zones.length > MAX_ZONE_HINTS) errs.push(tooMany(p.child('hints').child('forZones').s, zones.length, MAX_ZONE_HINTS));
  });
}

function validatePorts(ports: Any[], errs: FieldError[]): void {
  const pp = new Path('ports');
  if (ports.length > MAX_PORTS) {
    errs.push(tooMany(pp.s, ports.length, MAX_PORTS));
    return;
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = pp.index(i);
    const name = port.name ?? '';
    if (name) for (const m of isDNS1123Label(name)) errs.push(invalid(p.child('name').s, name, m));
    if (names.has(name)) errs.push(duplicate(p.child('name').s, name));
    names.add(name);
    if (port.port != null && !(Number.isInteger(port.port) && port.port >= 1 && port.port <= 65535))
      errs.push(invalid(p.child('port').s, port.port, 'must be between 1 and 65535, inclusive'));
    if (!port.protocol) errs.push(required(p.child('protocol').s));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(p.child('protocol').s, port.protocol, PROTOCOLS));
  });
}

function validateSlice(o: Any): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  const type = o.addressType;
  if (!type) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  validateEndpoints(o.endpoints ?? [], type, errs);
  validatePorts(o.ports ?? [], errs);
  return errs;
}

export const endpointSliceValidator: Validator = {
  create: (o) => validateSlice(o as Any),
  update: (o, old) => {
    const errs = validateSlice(o as Any);
    if ((o as Any).addressType !== (old as Any).addressType) errs.push(invalid('addressType', (o as Any).addressType, 'field is immutable'));
    return errs;
  },
};
