// The agent endpoint's TLS certificate when nobody issued one: self-signed, kept in the agent's
// dir and reused (the API server, like upstream's without --kubelet-certificate-authority, does
// not verify it; it authenticates itself to the agent with its token).
import { webcrypto, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function ensureServingCert(dir: string, names: string[]): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, 'agent.crt');
  const keyFile = join(dir, 'agent.key');
  if (existsSync(certFile) && existsSync(keyFile)) return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  const { cert, key } = await selfSignedServingCert(names);
  writeFileSync(keyFile, key, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return { cert, key };
}

/** A new self-signed serving certificate for names (DNS names or IPs), kept nowhere (the simulator makes one per run). */
export async function selfSignedServingCert(names: string[]): Promise<{ cert: string; key: string }> {
  // Loaded only to make a certificate: the X.509 library is a sizeable part of an idle agent's
  // memory, and a restarted agent reuses the certificate it made.
  await import('reflect-metadata');
  // A CommonJS module: bundled, its exports arrive as the namespace's default.
  const mod = await import('@peculiar/x509');
  const x509 = ('cryptoProvider' in mod ? mod : (mod as unknown as { default: typeof mod }).default) as typeof mod;
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const san = [...new Set(names)].filter(Boolean).map((v) => ({ type: isIP(v) ? ('ip' as const) : ('dns' as const), value: v }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${names[0] ?? 'berth-agent'}@${Math.floor(Date.now() / 1000)}`,
    keys,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 10 * 365 * 24 * 3600_000),
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(san),
    ],
  });
  const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { cert: cert.toString('pem'), key };
}
