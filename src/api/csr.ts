// certificates.k8s.io/v1 CertificateSigningRequest: the PEM request inside spec.request read
// into what validation, the approver and the signer look at, and upstream's rules for the
// kubelet signers (pkg/apis/certificates: IsKubeletServingCSR, IsKubeletClientCSR).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

/** The key usages v1 accepts (KeyUsage in certificates/v1). */
export const KEY_USAGES = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

export interface CsrSpec {
  request?: string;
  signerName?: string;
  usages?: string[];
  expirationSeconds?: number;
  username?: string;
  groups?: string[];
}

export interface CsrCondition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface CsrStatus {
  certificate?: string;
  conditions?: CsrCondition[];
}

/** What a PKCS#10 request says. */
export interface ParsedRequest {
  commonName: string;
  organizations: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  publicKey: x509.PublicKey;
  /** Whether the request is signed by the key it holds (proof of possession). */
  verify(): Promise<boolean>;
}

/** Reads the base64 of a PEM "CERTIFICATE REQUEST" block (spec.request); throws what is wrong with it. */
export function parseRequest(requestBase64: string): ParsedRequest {
  const pem = Buffer.from(requestBase64, 'base64').toString('utf8');
  if (!/-----BEGIN CERTIFICATE REQUEST-----/.test(pem)) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  let req: x509.Pkcs10CertificateRequest;
  try {
    req = new x509.Pkcs10CertificateRequest(pem);
  } catch (e) {
    throw new Error(`cannot parse the certificate request: ${(e as Error).message}`);
  }
  const san = req.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const of = (t: string) => names.filter((n) => n.type === t).map((n) => n.value);
  return {
    commonName: req.subjectName.getField('CN')[0] ?? '',
    organizations: req.subjectName.getField('O'),
    dnsNames: of('dns'),
    ipAddresses: of('ip'),
    emailAddresses: of('email'),
    uris: of('url'),
    publicKey: req.publicKey,
    verify: () => req.verify(),
  };
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Why a request is not a kubelet serving request (empty when it is): CN system:node:NAME,
 * O exactly system:nodes, only DNS and IP SANs (at least one), and the usages upstream allows.
 */
export function kubeletServingProblems(req: ParsedRequest, usages: string[]): string[] {
  const errs: string[] = [];
  if (!sameSet(req.organizations, ['system:nodes'])) errs.push('subject organization is not system:nodes');
  if (!req.commonName.startsWith('system:node:') || req.commonName.length === 'system:node:'.length)
    errs.push('subject common name does not begin with system:node:');
  if (req.emailAddresses.length || req.uris.length) errs.push('email and URI subjectAltNames are not allowed');
  if (!req.dnsNames.length && !req.ipAddresses.length) errs.push('DNS or IP subjectAltName is required');
  const allowed = [
    ['digital signature', 'key encipherment', 'server auth'],
    ['digital signature', 'server auth'],
    ['key encipherment', 'digital signature', 'server auth'],
  ];
  if (!allowed.some((a) => sameSet([...new Set(usages)], a)))
    errs.push('usages did not match [digital signature key encipherment server auth] or [digital signature server auth]');
  return errs;
}

/** The same for kubelet client certificates (kubelet TLS bootstrap): no SANs at all, client auth. */
export function kubeletClientProblems(req: ParsedRequest, usages: string[]): string[] {
  const errs: string[] = [];
  if (!sameSet(req.organizations, ['system:nodes'])) errs.push('subject organization is not system:nodes');
  if (!req.commonName.startsWith('system:node:') || req.commonName.length === 'system:node:'.length)
    errs.push('subject common name does not begin with system:node:');
  if (req.dnsNames.length || req.ipAddresses.length || req.emailAddresses.length || req.uris.length) errs.push('subjectAltNames are not allowed');
  const allowed = [
    ['digital signature', 'key encipherment', 'client auth'],
    ['digital signature', 'client auth'],
  ];
  if (!allowed.some((a) => sameSet([...new Set(usages)], a)))
    errs.push('usages did not match [digital signature key encipherment client auth] or [digital signature client auth]');
  return errs;
}

/** "True" condition of a type. */
export function hasCondition(status: CsrStatus | undefined, type: string): boolean {
  return (status?.conditions ?? []).some((c) => c.type === type && (c.status ?? 'True') === 'True');
}

/** What the CONDITION column shows (upstream's extractCSRStatus). */
export function csrCondition(status: CsrStatus | undefined): string {
  const types = new Set((status?.conditions ?? []).map((c) => c.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (status?.certificate) s += ',Issued';
  return s;
}
