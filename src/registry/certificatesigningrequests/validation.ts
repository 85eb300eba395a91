// certificates.k8s.io/v1 CertificateSigningRequest validation, as upstream's
// pkg/apis/certificates/validation: a parseable request, a qualified signer name, usages from
// the v1 list, a duration of at least 10 minutes; conditions that never say both Approved and
// Denied nor lose either once given; a certificate only for an approved request, set once.
import type { Validator } from '../../api/resource.js';
import { duplicate, forbidden, invalid, notSupported, required, type FieldError } from '../../api/field-errors.js';
import { KEY_USAGES, LEGACY_UNKNOWN_SIGNER, hasCondition, parseRequest, type CsrSpec, type CsrStatus } from '../../api/csr.js';
import { isDNS1123Subdomain } from '../../api/names.js';
import { nameIsPathSegment, validateObjectMeta } from '../../api/validation/objectmeta.js';
import { Path } from '../../api/validation/path.js';

type Csr = { spec?: CsrSpec; status?: CsrStatus };
const SPEC = new Path('spec');
const MIN_EXPIRATION_SECONDS = 600;

/** A signer name is DOMAIN/PATH, the domain a DNS subdomain (upstream's ValidateSignerName). */
function signerNameErrors(name: string | undefined, p: Path): FieldError[] {
  if (!name) return [required(p.s, '')];
  const slash = name.indexOf('/');
  if (slash <= 0 || slash === name.length - 1) return [invalid(p.s, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const domain = name.slice(0, slash);
  const errs = isDNS1123Subdomain(domain).map((m) => invalid(p.s, name, `the domain portion of the signerName: ${m}`));
  if (name.length > 571) errs.push(invalid(p.s, name, 'must be no more than 571 characters'));
  return errs;
}

function specErrors(spec: CsrSpec | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const s = spec ?? {};
  const req = SPEC.child('request');
  if (!s.request) errs.push(required(req.s, ''));
  else {
    try {
      parseRequest(s.request);
    } catch (e) {
      errs.push(invalid(req.s, '<request>', (e as Error).message));
    }
  }
  const usages = SPEC.child('usages');
  if (!s.usages?.length) errs.push(required(usages.s, 'usages must be provided'));
  const seen = new Set<string>();
  (s.usages ?? []).forEach((u, i) => {
    if (!KEY_USAGES.includes(u)) errs.push(notSupported(usages.index(i).s, u, KEY_USAGES));
    else if (seen.has(u)) errs.push(duplicate(usages.index(i).s, u));
    seen.add(u);
  });
  const signer = SPEC.child('signerName');
  errs.push(...signerNameErrors(s.signerName, signer));
  if (s.signerName === LEGACY_UNKNOWN_SIGNER) errs.push(invalid(signer.s, s.signerName, 'the legacy signerName is not allowed via this API version'));
  if (
    s.expirationSeconds !== undefined &&
    s.expirationSeconds !== null &&
    (!Number.isInteger(s.expirationSeconds) || s.expirationSeconds < MIN_EXPIRATION_SECONDS)
  ) {
    errs.push(
      invalid(SPEC.child('expirationSeconds').s, s.expirationSeconds, `may not specify a duration less than ${MIN_EXPIRATION_SECONDS} seconds (10 minutes)`),
    );
  }
  return errs;
}

const APPROVAL_TYPES = ['Approved', 'Denied', 'Failed'];

function statusErrors(status: CsrStatus | undefined, old: CsrStatus | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const conds = new Path('status').child('conditions');
  const seen = new Set<string>();
  (status?.conditions ?? []).forEach((c, i) => {
    const p = conds.index(i);
    if (!c.type) errs.push(required(p.child('type').s, ''));
    if (APPROVAL_TYPES.includes(c.type)) {
      if (seen.has(c.type)) errs.push(duplicate(p.child('type').s, c.type));
      if (c.status !== undefined && c.status !== 'True') errs.push(notSupported(p.child('status').s, c.status, ['True']));
    } else if (c.status !== undefined && !['True', 'False', 'Unknown'].includes(c.status)) {
      errs.push(notSupported(p.child('status').s, c.status, ['True', 'False', 'Unknown']));
    }
    seen.add(c.type);
  });
  if (seen.has('Approved') && seen.has('Denied')) errs.push(invalid(conds.s, status?.conditions, 'Approved and Denied conditions are mutually exclusive'));
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if ((old?.conditions ?? []).some((c) => c.type === t) && !seen.has(t)) errs.push(forbidden(conds.s, `updates may not remove a condition of type "${t}"`));
  }
  const certPath = new Path('status').child('certificate').s;
  const cert = status?.certificate;
  if (old?.certificate && cert !== old.certificate) errs.push(forbidden(certPath, 'updates may not modify existing certificate content'));
  else if (cert && cert !== old?.certificate) {
    const pem = Buffer.from(cert, 'base64').toString('utf8');
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem))
      errs.push(invalid(certPath, '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
    if (!hasCondition(status, 'Approved') || hasCondition(status, 'Denied'))
      errs.push(forbidden(certPath, 'a certificate may only be issued for an Approved request'));
  }
  return errs;
}

export const certificatesigningrequests: Validator = {
  create: (o) => [...validateObjectMeta(o.metadata, false, nameIsPathSegment), ...specErrors((o as Csr).spec)],
  update: (o) => validateObjectMeta(o.metadata, false, nameIsPathSegment),
  updateStatus: (o, old) => [...validateObjectMeta(o.metadata, false, nameIsPathSegment), ...statusErrors((o as Csr).status, (old as Csr).status)],
};
