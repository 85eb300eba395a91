// The agent endpoint's serving certificate, signed by the cluster CA, obtained as upstream's
// kubelet does with serverTLSBootstrap (client-go's util/certificate manager): the key is made
// here and never leaves the machine; a CertificateSigningRequest of signer
// kubernetes.io/kubelet-serving (CN=system:node:NAME, O=system:nodes, SANs the node's name and
// address) goes to the API server; once approved and issued the certificate is kept beside the
// key and served. It is renewed when 80% of its life has passed (checked hourly and at start).
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { KubeObject, RestClient } from '../client/index.js';
import { sleep } from '../client/index.js';
import type { ServingCert } from './endpoint-tls.js';
import { KUBELET_SERVING_SIGNER } from '../api/kubelet-identity.js';

const CSR_RESOURCE = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;
const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Renew once this much of the certificate's life has passed (client-go: 70-90%, jittered). */
const RENEW_AT = 0.8;

type X509 = typeof import('@peculiar/x509');
let x509mod: X509 | undefined;

/**
 * The X.509 library, loaded only when a certificate is looked at or made: it is a sizeable part
 * of an idle agent's memory.
 */
async function x509(): Promise<X509> {
  if (x509mod) return x509mod;
  await import('reflect-metadata');
  // A CommonJS module: bundled, its exports arrive as the namespace's default.
  const mod = await import('@peculiar/x509');
  const m = ('cryptoProvider' in mod ? mod : (mod as unknown as { default: typeof mod }).default) as typeof mod;
  m.cryptoProvider.set(webcrypto as unknown as Parameters<typeof m.cryptoProvider.set>[0]);
  return (x509mod = m);
}

/** Whether pem is usable for serving now: signed by the CA, covering the names, not due for renewal. */
export async function usableServingCert(pem: string, caPem: string, names: string[], now = Date.now()): Promise<boolean> {
  const x = await x509();
  let cert: InstanceType<X509['X509Certificate']>;
  try {
    cert = new x.X509Certificate(pem);
    const ca = new x.X509Certificate(caPem);
    if (!(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) return false;
  } catch {
    return false;
  }
  const from = cert.notBefore.getTime();
  const to = cert.notAfter.getTime();
  if (now < from || now >= from + (to - from) * RENEW_AT) return false;
  const san = cert.getExtension(x.SubjectAlternativeNameExtension);
  const have = new Set((san?.names.toJSON() ?? []).map((n) => n.value));
  return names.every((n) => have.has(n));
}

/** A new key and the PEM CSR for it: the node's serving identity. */
export async function servingCsr(nodeName: string, names: string[]): Promise<{ csr: string; key: string }> {
  const x = await x509();
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const san = [...new Set(names)].filter(Boolean).map((v) => ({ type: isIP(v) ? ('ip' as const) : ('dns' as const), value: v }));
  const req = await x.Pkcs10CertificateRequestGenerator.create({
    name: `CN=system:node:${nodeName}, O=system:nodes`,
    keys,
    signingAlgorithm: alg,
    extensions: [new x.SubjectAlternativeNameExtension(san)],
  });
  const key = x.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { csr: req.toString('pem'), key };
}

interface Csr extends KubeObject {
  spec: { request: string; signerName: string; usages?: string[] };
  status?: { certificate?: string; conditions?: Array<{ type: string; status?: string; reason?: string; message?: string }> };
}

export interface ServingCertManagerOptions {
  client: RestClient;
  nodeName: string;
  /** The SANs: the node's name and the address the API server dials. */
  names: string[];
  /** The cluster CA, which must have signed the certificate. */
  caCert: string;
  /** Where the key and certificate are kept (agent.key, agent.crt); none: in memory only (the simulator asks anew each run). */
  dir?: string;
  /** Called with each certificate to serve (the first, then renewals). */
  onCert: (c: ServingCert) => void;
  log: (m: string) => void;
  /** How often the issued certificate is looked for (default 1 s). */
  pollMs?: number;
  /** How often renewal is considered (default hourly). */
  checkMs?: number;
  /** The clock renewal is judged by (tests move it). */
  now?: () => number;
}

export class ServingCertManager {
  private readonly abort = new AbortController();
  private timer?: NodeJS.Timeout;
  private current?: ServingCert;
  private running?: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(private readonly o: ServingCertManagerOptions) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private get certFile(): string {
    return join(this.o.dir!, 'agent.crt');
  }

  private get keyFile(): string {
    return join(this.o.dir!, 'agent.key');
  }

  /**
   * Serves a certificate on disk still good, otherwise asks for one in the background (the
   * approver may wait for the Node this agent is about to register). Never throws.
   */
  async start(): Promise<void> {
    if (this.o.dir) mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    if (this.o.dir && existsSync(this.certFile) && existsSync(this.keyFile)) {
      const cert = readFileSync(this.certFile, 'utf8');
      if (await usableServingCert(cert, this.o.caCert, this.o.names, this.now())) this.use({ cert, key: readFileSync(this.keyFile, 'utf8') });
    }
    if (!this.current) this.renew();
    this.timer = setInterval(() => void this.check(), this.o.checkMs ?? 3600_000);
    this.timer.unref();
  }

  stop(): void {
    this.abort.abort();
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.running || !this.current) return;
    if (!(await usableServingCert(this.current.cert, this.o.caCert, this.o.names, this.now()))) this.renew();
  }

  private use(c: ServingCert): void {
    this.current = c;
    this.o.onCert(c);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves true once a certificate is served, false after timeoutMs (or an abort) without one. */
  waitForCert(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.current) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const end = (got: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        resolve(got);
      };
      const aborted = () => end(false);
      const timer = setTimeout(aborted, timeoutMs);
      signal?.addEventListener('abort', aborted, { once: true });
      this.waiters.push(() => end(true));
    });
  }

  private renew(): void {
    this.running ??= this.requestUntilIssued().finally(() => (this.running = undefined));
  }

  /** Asks until a certificate is issued (a denied or failed request is retried after a while). */
  private async requestUntilIssued(): Promise<void> {
    const signal = this.abort.signal;
    let wait = 5000;
    while (!signal.aborted) {
      try {
        const c = await this.requestOnce(signal);
        if (!c) return;
        if (this.o.dir) {
          writeFileSync(`${this.keyFile}.new`, c.key, { mode: 0o600 });
          writeFileSync(`${this.certFile}.new`, c.cert);
          renameSync(`${this.keyFile}.new`, this.keyFile);
          renameSync(`${this.certFile}.new`, this.certFile);
        }
        this.use(c);
        this.o.log(`serving certificate issued by the cluster CA (valid until ${await notAfter(c.cert)})`);
        return;
      } catch (e) {
        if (signal.aborted) return;
        this.o.log(`serving certificate: ${(e as Error).message}; asking again in ${wait / 1000} s`);
        await sleep(wait, signal).catch(() => undefined);
        wait = Math.min(wait * 2, 300_000);
      }
    }
  }

  private async requestOnce(signal: AbortSignal): Promise<ServingCert | undefined> {
    const { csr, key } = await servingCsr(this.o.nodeName, this.o.names);
    const created = await this.o.client.create<Csr>(CSR_RESOURCE, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'csr-' },
      spec: {
        request: Buffer.from(csr).toString('base64'),
        signerName: KUBELET_SERVING_SIGNER,
        usages: ['digital signature', 'server auth'],
      },
    } as Csr);
    const name = created.metadata!.name!;
    this.o.log(`waiting for CertificateSigningRequest ${name} (${KUBELET_SERVING_SIGNER}) to be approved and issued`);
    while (!signal.aborted) {
      const cur = await this.o.client.get<Csr>({ ...CSR_RESOURCE, name });
      const conds = cur.status?.conditions ?? [];
      const bad = conds.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False');
      if (bad) throw new Error(`CertificateSigningRequest ${name} ${bad.type.toLowerCase()}: ${bad.reason ?? ''} ${bad.message ?? ''}`.trim());
      if (cur.status?.certificate) {
        const cert = Buffer.from(cur.status.certificate, 'base64').toString('utf8');
        if (!(await usableServingCert(cert, this.o.caCert, this.o.names))) throw new Error(`CertificateSigningRequest ${name} was issued a certificate not usable for ${this.o.names.join(', ')} under the cluster CA`);
        return { cert, key };
      }
      await sleep(this.o.pollMs ?? 1000, signal).catch(() => undefined);
    }
    return undefined;
  }
}

async function notAfter(pem: string): Promise<string> {
  const x = await x509();
  return new x.X509Certificate(pem).notAfter.toISOString();
}
