// The loop both kubelet certificates share, as client-go's util/certificate manager: the key is
// made here and never leaves the machine; a CertificateSigningRequest goes to the API server;
// once approved and issued the certificate is kept beside the key (0600) and handed over. It is
// renewed when 80% of its life has passed (checked hourly and at start). What differs per
// certificate (signer, usages, subject, what makes one usable, file names) is a CsrProfile.
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject, RestClient, WatchHandle } from '../client/index.js';
import { sleep } from '../client/index.js';

const CSR_RESOURCE = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;
/** Renew once this much of the certificate's life has passed (client-go: 70-90%, jittered). */
export const RENEW_AT = 0.8;

type X509 = typeof import('@peculiar/x509');
let x509mod: X509 | undefined;

/**
 * The X.509 library, loaded only when a certificate is looked at or made: it is a sizeable part
 * of an idle agent's memory.
 */
export async function x509(): Promise<X509> {
  if (x509mod) return x509mod;
  await import('reflect-metadata');
  // A CommonJS module: bundled, its exports arrive as the namespace's default.
  const mod = await import('@peculiar/x509');
  const m = ('cryptoProvider' in mod ? mod : (mod as unknown as { default: typeof mod }).default) as typeof mod;
  m.cryptoProvider.set(webcrypto as unknown as Parameters<typeof m.cryptoProvider.set>[0]);
  return (x509mod = m);
}

export type X509Cert = InstanceType<X509['X509Certificate']>;

/** The certificate pem when the CA signed it and it is within the first 80% of its life; otherwise undefined. */
export async function currentCert(pem: string, caPem: string, now = Date.now()): Promise<X509Cert | undefined> {
  const x = await x509();
  let cert: X509Cert;
  try {
    cert = new x.X509Certificate(pem);
    const ca = new x.X509Certificate(caPem);
    if (!(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) return undefined;
  } catch {
    return undefined;
  }
  const from = cert.notBefore.getTime();
  const to = cert.notAfter.getTime();
  if (now < from || now >= from + (to - from) * RENEW_AT) return undefined;
  return cert;
}

/** A PEM certificate and its key. */
export interface CertAndKey {
  cert: string;
  key: string;
}

export interface CsrProfile {
  /** In messages: "serving certificate", "client certificate". */
  what: string;
  signerName: string;
  usages: string[];
  /** File names under dir: BASE.crt and BASE.key. */
  fileBase: string;
  /** A new key and the PEM request for it. */
  newRequest(): Promise<{ csr: string; key: string }>;
  /** Whether pem may be used now (the CA's, the right subject and names, not due for renewal). */
  usable(pem: string, now: number): Promise<boolean>;
  /** Annotations the request carries (what the approver checks besides the request). */
  annotations?: Record<string, string>;
}

export interface CertManagerOptions {
  client: RestClient;
  /** Where the key and certificate are kept; none: in memory only (the simulator asks anew each run). */
  dir?: string;
  /** Called with each certificate (the first, then renewals). */
  onCert: (c: CertAndKey) => void;
  log: (m: string) => void;
  /** How often the request is read again when no watch event said it changed (default 1 s). */
  pollMs?: number;
  /** How often renewal is considered (default hourly). */
  checkMs?: number;
  /** The clock renewal is judged by (tests move it). */
  now?: () => number;
}

interface Csr extends KubeObject {
  spec: { request: string; signerName: string; usages?: string[] };
  status?: { certificate?: string; conditions?: Array<{ type: string; status?: string; reason?: string; message?: string }> };
}

/** A request the approver denied (or the signer failed): asking again the same way will not help soon. */
export class CsrRefusedError extends Error {
  constructor(
    readonly csrName: string,
    readonly type: string,
    readonly reason: string,
    readonly detail: string,
  ) {
    super(`CertificateSigningRequest ${csrName} ${type.toLowerCase()}: ${`${reason} ${detail}`.trim()}`);
  }
}

export class CertManager {
  private readonly abort = new AbortController();
  private timer?: NodeJS.Timeout;
  private current?: CertAndKey;
  private running?: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly o: CertManagerOptions,
    private readonly profile: CsrProfile,
  ) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private get certFile(): string {
    return join(this.o.dir!, `${this.profile.fileBase}.crt`);
  }

  private get keyFile(): string {
    return join(this.o.dir!, `${this.profile.fileBase}.key`);
  }

  /** The certificate on disk, when it is still good. */
  async fromDisk(): Promise<CertAndKey | undefined> {
    if (!this.o.dir || !existsSync(this.certFile) || !existsSync(this.keyFile)) return undefined;
    const cert = readFileSync(this.certFile, 'utf8');
    return (await this.profile.usable(cert, this.now())) ? { cert, key: readFileSync(this.keyFile, 'utf8') } : undefined;
  }

  /**
   * Uses a certificate on disk still good, otherwise asks for one in the background (the
   * approver may wait for the Node this agent is about to register). Never throws.
   */
  async start(): Promise<void> {
    if (this.o.dir) mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    const kept = await this.fromDisk();
    if (kept) this.use(kept);
    if (!this.current) this.renew();
    this.timer = setInterval(() => void this.check(), this.o.checkMs ?? 3600_000);
    this.timer.unref();
  }

  stop(): void {
    this.abort.abort();
    clearInterval(this.timer);
  }

  /** Looks at the certificate in use now; asks for a new one when it is due. */
  async check(): Promise<void> {
    if (this.running || !this.current) return;
    if (!(await this.profile.usable(this.current.cert, this.now()))) this.renew();
  }

  private use(c: CertAndKey): void {
    this.current = c;
    this.o.onCert(c);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves true once a certificate is in use, false after timeoutMs (or an abort) without one. */
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

  /**
   * One request, waited on until issued; the certificate is kept and used. Throws when it is
   * denied or fails (CsrRefusedError) or cannot be made; undefined when stopped meanwhile.
   */
  async obtain(signal = this.abort.signal): Promise<CertAndKey | undefined> {
    const c = await this.requestOnce(signal);
    if (!c) return undefined;
    if (this.o.dir) {
      mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
      writeFileSync(`${this.keyFile}.new`, c.key, { mode: 0o600 });
      writeFileSync(`${this.certFile}.new`, c.cert, { mode: 0o600 });
      renameSync(`${this.keyFile}.new`, this.keyFile);
      renameSync(`${this.certFile}.new`, this.certFile);
    }
    this.use(c);
    this.o.log(`${this.profile.what} issued by the cluster CA (valid until ${await notAfter(c.cert)})`);
    return c;
  }

  /** Asks until a certificate is issued (a denied or failed request is retried after a while). */
  private async requestUntilIssued(): Promise<void> {
    const signal = this.abort.signal;
    let wait = 5000;
    while (!signal.aborted) {
      try {
        await this.obtain(signal);
        return;
      } catch (e) {
        if (signal.aborted) return;
        this.o.log(`${this.profile.what}: ${(e as Error).message}; asking again in ${wait / 1000} s`);
        await sleep(wait, signal).catch(() => undefined);
        wait = Math.min(wait * 2, 300_000);
      }
    }
  }

  private async requestOnce(signal: AbortSignal): Promise<CertAndKey | undefined> {
    const p = this.profile;
    const { csr, key } = await p.newRequest();
    const created = await this.o.client.create<Csr>(CSR_RESOURCE, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'csr-', ...(p.annotations ? { annotations: p.annotations } : {}) },
      spec: { request: Buffer.from(csr).toString('base64'), signerName: p.signerName, usages: p.usages },
    } as Csr);
    const name = created.metadata!.name!;
    this.o.log(`waiting for CertificateSigningRequest ${name} (${p.signerName}) to be approved and issued`);
    while (!signal.aborted) {
      const cur = await this.o.client.get<Csr>({ ...CSR_RESOURCE, name });
      const conds = cur.status?.conditions ?? [];
      const bad = conds.find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False');
      if (bad) throw new CsrRefusedError(name, bad.type, bad.reason ?? '', bad.message ?? '');
      if (cur.status?.certificate) {
        const cert = Buffer.from(cur.status.certificate, 'base64').toString('utf8');
        if (!(await p.usable(cert, Date.now()))) throw new Error(`CertificateSigningRequest ${name} was issued a certificate not usable as this ${p.what}`);
        return { cert, key };
      }
      await this.changed(name, cur.metadata?.resourceVersion, this.o.pollMs ?? 1000, signal);
    }
    return undefined;
  }

  /**
   * Resolves once the request changes (an event of a watch on it) or after ms, whichever comes
   * first: the loop reads it again either way. A join waits on the approver and the signer, which
   * act within milliseconds; a poll alone would add up to a whole interval to every request
   * (client-go's certificate manager waits on a watch too). A watch that fails costs only that.
   */
  private changed(name: string, resourceVersion: string | undefined, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let handle: WatchHandle | undefined;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        handle?.stop();
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      try {
        handle = this.o.client.watch(
          CSR_RESOURCE,
          { fieldSelector: `metadata.name=${name}`, resourceVersion, timeoutSeconds: Math.max(1, Math.ceil(ms / 1000)) },
          done,
          () => undefined,
        );
      } catch {
        // No watch to be had: the timer alone wakes the loop.
      }
    });
  }
}

async function notAfter(pem: string): Promise<string> {
  const x = await x509();
  return new x.X509Certificate(pem).notAfter.toISOString();
}

/** A new P-256 key and a PKCS#10 request for it, subject system:node:NAME / system:nodes. */
export async function nodeCsr(nodeName: string, extensions: (x: X509) => InstanceType<X509['Extension']>[]): Promise<{ csr: string; key: string }> {
  const x = await x509();
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const req = await x.Pkcs10CertificateRequestGenerator.create({
    name: `CN=system:node:${nodeName}, O=system:nodes`,
    keys,
    signingAlgorithm: alg,
    extensions: extensions(x),
  });
  const key = x.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { csr: req.toString('pem'), key };
}
