// The cluster's PKI, created on first start and reused after: a CA, the API server's serving
// certificate (SANs: localhost, 127.0.0.1, ::1, the host name and its addresses, and the listen
// host), the API server's client certificate for node agents (kube-apiserver's
// --kubelet-client-certificate), and the admin bearer token. Everything lives in DATA_DIR/pki
// with mode 0600 keys; files missing from an older data dir are created at the next start.
import { webcrypto, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { KUBELET_CLIENT_CN, KUBELET_CLIENT_O } from '../api/kubelet-identity.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** The identity the API server presents to node agents (never a user's token). */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** Bearer token of the cluster admin (written into the kubeconfig). */
  adminToken: string;
}

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS = 10 * 365 * 24 * 3600 * 1000;
/** Upstream kube-controller-manager's --cluster-signing-duration default. */
export const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  return await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(pem)[0]!, alg, true, ['sign']);
}

function localNames(extraHost: string): x509.JsonGeneralName[] {
  const dns = new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) ips.add(a.address.split('%')[0]!);
  if (extraHost) (isIP(extraHost) ? ips : dns).add(extraHost);
  ips.delete('0.0.0.0');
  ips.delete('::');
  return [...[...dns].map((v) => ({ type: 'dns' as const, value: v })), ...[...ips].map((v) => ({ type: 'ip' as const, value: v }))];
}

async function createCa(): Promise<{ cert: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=berth-ca@${Math.floor(Date.now() / 1000)}`,
    keys,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + TEN_YEARS),
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

export interface CaFiles {
  cert: string;
  key: string;
}

export type Usage = 'server' | 'client';

/**
 * Signs publicKey with the CA: the one place a certificate is made, for the API server's own
 * certificates, agents' serving certificates and approved CertificateSigningRequests.
 */
export async function signPublicKey(
  ca: CaFiles,
  publicKey: CryptoKey,
  opts: { subject: string; names?: x509.JsonGeneralName[]; usage: Usage; notAfter?: Date },
): Promise<string> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const eku = opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
  // Never beyond the CA's own life, as upstream's signer clamps.
  const notAfter = new Date(Math.min((opts.notAfter ?? new Date(Date.now() + TEN_YEARS)).getTime(), caCert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    subject: opts.subject,
    issuer: caCert.subject,
    publicKey,
    signingKey: caKey,
    serialNumber: randomBytes(16)
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    notBefore: new Date(Date.now() - 3600_000),
    notAfter,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([eku]),
      ...(opts.names?.length ? [new x509.SubjectAlternativeNameExtension(opts.names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return cert.toString('pem');
}

/** Issues a key and a certificate for it signed by the CA. */
export async function issueCertificate(
  ca: CaFiles,
  opts: { commonName: string; organization?: string; organizations?: string[]; names?: x509.JsonGeneralName[]; usage: Usage; notAfter?: Date },
): Promise<{ cert: string; key: string }> {
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  // One O per group (the API server reads every O as a group, as upstream's x509 authenticator).
  const orgs = [...(opts.organization ? [opts.organization] : []), ...(opts.organizations ?? [])];
  const subject = [`CN=${opts.commonName}`, ...orgs.map((o) => `O=${o}`)].join(', ');
  const cert = await signPublicKey(ca, keys.publicKey, { subject, names: opts.names, usage: opts.usage, notAfter: opts.notAfter });
  return { cert, key: await exportKey(keys.privateKey) };
}

/** DNS names and IP addresses as SAN entries. */
export function generalNames(values: string[]): x509.JsonGeneralName[] {
  return [...new Set(values.filter(Boolean))].map((v) => ({ type: isIP(v) ? ('ip' as const) : ('dns' as const), value: v }));
}

/**
 * A node's serving certificate (logs, exec) signed by the cluster CA, as the kubelet-serving
 * signer issues: CN=system:node:NAME, O=system:nodes, SANs the names and addresses the API
 * server dials. For the agent `berth server` embeds and for simulated nodes, which run where
 * the CA is at hand; other agents ask for theirs with a CertificateSigningRequest.
 */
export async function issueNodeServingCertificate(ca: CaFiles, nodeName: string, addresses: string[]): Promise<{ cert: string; key: string }> {
  return issueCertificate(ca, {
    commonName: `system:node:${nodeName}`,
    organization: 'system:nodes',
    names: generalNames([nodeName, ...addresses]),
    usage: 'server',
    notAfter: new Date(Date.now() + ONE_YEAR_MS),
  });
}

/**
 * A node's client certificate, as the kube-apiserver-client-kubelet signer issues:
 * CN=system:node:NAME, O=system:nodes, so the Node authorizer and NodeRestriction see the node.
 * For the agent `berth server` embeds (and tests), which run where the CA is at hand; joined
 * agents ask for theirs with a CertificateSigningRequest (src/kubelet/cert-manager.ts).
 */
export async function issueNodeClientCertificate(ca: CaFiles, nodeName: string): Promise<{ cert: string; key: string }> {
  return issueCertificate(ca, {
    commonName: `system:node:${nodeName}`,
    organization: 'system:nodes',
    usage: 'client',
    notAfter: new Date(Date.now() + ONE_YEAR_MS),
  });
}

/** The CA as DATA_DIR/pki holds it (ca.crt, ca.key). */
export function readCaFiles(dataDir: string): CaFiles {
  const dir = join(dataDir, 'pki');
  return { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
}

function writeSecret(path: string, data: string): void {
  writeFileSync(path, data, { mode: 0o600 });
}

/** Loads the PKI under dataDir, creating what is missing. */
export async function ensurePki(dataDir: string, listenHost: string): Promise<Pki> {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = (f: string) => join(dir, f);
  if (!existsSync(p('ca.crt')) || !existsSync(p('ca.key'))) {
    const ca = await createCa();
    writeSecret(p('ca.key'), ca.key);
    writeFileSync(p('ca.crt'), ca.cert);
  }
  const ca = { cert: readFileSync(p('ca.crt'), 'utf8'), key: readFileSync(p('ca.key'), 'utf8') };
  const wantNames = localNames(listenHost);
  if (!existsSync(p('apiserver.crt')) || !coversNames(readFileSync(p('apiserver.crt'), 'utf8'), wantNames)) {
    const server = await issueCertificate(ca, { commonName: 'kube-apiserver', names: wantNames, usage: 'server' });
    writeSecret(p('apiserver.key'), server.key);
    writeFileSync(p('apiserver.crt'), server.cert);
  }
  if (!existsSync(p('apiserver-kubelet-client.crt')) || !existsSync(p('apiserver-kubelet-client.key'))) {
    const client = await issueCertificate(ca, { commonName: KUBELET_CLIENT_CN, organization: KUBELET_CLIENT_O, usage: 'client' });
    writeSecret(p('apiserver-kubelet-client.key'), client.key);
    writeFileSync(p('apiserver-kubelet-client.crt'), client.cert);
  }
  if (!existsSync(p('admin.token'))) writeSecret(p('admin.token'), randomBytes(32).toString('base64url') + '\n');
  return {
    caCert: ca.cert,
    caKey: ca.key,
    serverCert: readFileSync(p('apiserver.crt'), 'utf8'),
    serverKey: readFileSync(p('apiserver.key'), 'utf8'),
    kubeletClientCert: readFileSync(p('apiserver-kubelet-client.crt'), 'utf8'),
    kubeletClientKey: readFileSync(p('apiserver-kubelet-client.key'), 'utf8'),
    adminToken: readFileSync(p('admin.token'), 'utf8').trim(),
  };
}

/** A new listen host or address means a new serving certificate; otherwise it is reused. */
function coversNames(pem: string, want: x509.JsonGeneralName[]): boolean {
  const san = new x509.X509Certificate(pem).getExtension(x509.SubjectAlternativeNameExtension);
  if (!san) return false;
  const have = new Set(san.names.toJSON().map((n) => `${n.type}:${n.value}`));
  return want.every((n) => have.has(`${n.type}:${n.value}`));
}
