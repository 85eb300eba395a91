// The server's TLS settings as kube-apiserver's --tls-cipher-suites and --tls-min-version:
// by default TLS 1.2 and 1.3 with only the suites Go (and so kube-apiserver) considers secure,
// ECDHE key exchange with AES-GCM or ChaCha20-Poly1305; no CBC, no SHA-1 MACs, no static RSA.
// Suites are named as upstream names them (IANA names) and mapped to OpenSSL's.

/** Upstream's TLS 1.2 suite names and OpenSSL's for them. */
const TLS12_SUITES: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  // Go's older names for the two above, which kube-apiserver still accepts.
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  // Insecure, but accepted when asked for by name (upstream accepts them with a warning).
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
};

/** TLS 1.3 suites: not configurable in Go, so named in the flag but always on, as upstream. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** kube-apiserver's default: Go's secure TLS 1.2 suites. */
export const DEFAULT_CIPHER_SUITES = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
];

const SECURE = new Set([...DEFAULT_CIPHER_SUITES, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305']);

const MIN_VERSIONS = { VersionTLS12: 'TLSv1.2', VersionTLS13: 'TLSv1.3' } as const;

export interface TlsSettings {
  /** For tls.createServer's `ciphers`: OpenSSL names, TLS 1.3 suites first. */
  ciphers: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Said once at start: insecure suites asked for. */
  warnings: string[];
}

/** Reads the flags' values; a bad name is an error naming what is accepted. */
export function tlsSettings(cipherSuites?: string, minVersion?: string): TlsSettings {
  const warnings: string[] = [];
  const names = cipherSuites
    ? cipherSuites
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : DEFAULT_CIPHER_SUITES;
  const tls12: string[] = [];
  for (const name of names) {
    if (TLS13_SUITES.includes(name)) continue;
    const openssl = TLS12_SUITES[name];
    if (!openssl)
      throw new Error(
        `--tls-cipher-suites: unknown or unsupported cipher suite "${name}"; supported: ${[...Object.keys(TLS12_SUITES), ...TLS13_SUITES].join(', ')}`,
      );
    if (!SECURE.has(name)) warnings.push(`cipher suite ${name} is insecure`);
    if (!tls12.includes(openssl)) tls12.push(openssl);
  }
  const min = minVersion ?? 'VersionTLS12';
  if (!(min in MIN_VERSIONS))
    throw new Error(`--tls-min-version: "${min}" is not one of ${Object.keys(MIN_VERSIONS).join(', ')} (TLS 1.0 and 1.1 are not offered)`);
  if (!tls12.length && min === 'VersionTLS12')
    throw new Error('--tls-cipher-suites names no TLS 1.2 suite: use --tls-min-version VersionTLS13 for TLS 1.3 only');
  return { ciphers: [...TLS13_SUITES, ...tls12].join(':'), minVersion: MIN_VERSIONS[min as keyof typeof MIN_VERSIONS], warnings };
}
