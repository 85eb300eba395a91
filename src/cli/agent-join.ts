// How `berth agent --server URL --token T` joins a cluster (kubelet TLS bootstrap, k3s's shape):
// fetch the CA from /cacerts and check it against the token's hash, then with the token's
// secret as a bootstrap credential ask for a client certificate of the node's own
// (CN=system:node:NAME) and from then on talk to the API server only with that certificate,
// renewed before it expires. The node password proves this machine holds the node name.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { caBundleHash, parseJoinToken } from '../api/join-token.js';
import { RestClient } from '../client/index.js';
import { ClientCertManager } from '../kubelet/client-cert.js';
import { CsrRefusedError, type CertAndKey } from '../kubelet/cert-manager.js';

export interface JoinOptions {
  server: string;
  token: string;
  /** A CA to trust instead of the one the server serves. */
  caFile?: string;
  dataDir: string;
  nodeName: string;
  log: (m: string) => void;
  warn: (m: string) => void;
  signal?: AbortSignal;
}

export interface Joined {
  caCert: string;
  /** Authenticates with the node's client certificate (renewed in place). */
  client: RestClient;
  /** Keeps the certificate renewed; stop it with the agent. */
  renewal: ClientCertManager;
}

/** The CA bundle the server serves at /cacerts, read before anything about the server is trusted. */
export function fetchCaBundle(server: string, timeoutMs = 10_000): Promise<string> {
  const url = new URL('/cacerts', server);
  return new Promise((resolve, reject) => {
    // Not verified here by design: the token's hash verifies what comes back.
    const req = request(url, { rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`cannot fetch the cluster CA from ${url.href}: HTTP ${res.statusCode}`));
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (e) => reject(new Error(`cannot fetch the cluster CA from ${url.href}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    req.end();
  });
}

/**
 * The join's first step, the cluster CA the agent trusts from now on: the token's hash must match
 * it (a full token). Quick, and done before anything starts, so that a token for another cluster
 * is refused with nothing else said or started.
 */
export async function trustedClusterCa(o: JoinOptions): Promise<string> {
  const caHash = parseJoinToken(o.token).caHash;
  let ca: string;
  if (o.caFile) {
    try {
      ca = readFileSync(o.caFile, 'utf8');
    } catch (e) {
      throw new Error(`--ca-file ${o.caFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  } else {
    ca = await fetchCaBundle(o.server);
  }
  if (caHash) {
    const got = caBundleHash(ca);
    if (got !== caHash)
      throw new Error(
        `the cluster CA of ${o.server} (sha256 ${got}) does not match the token's CA hash ${caHash}: the token is for another cluster, or something is posing as the server`,
      );
  } else if (!o.caFile) {
    o.warn("a short token: the CA the server sends is trusted without a check; use the full token (K10...) from the server's DATA_DIR/token to pin it");
  }
  return ca;
}

/** DATA_DIR/node-password: made once (0600), the proof that this machine holds its node name. */
export function nodePassword(dataDir: string): string {
  const path = join(dataDir, 'node-password');
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(path, 'utf8').trim();
}

/** The join: with the CA trusted (trustedClusterCa, or its result in caCert), the node's own client certificate. */
export async function joinCluster(o: JoinOptions & { caCert?: string }): Promise<Joined> {
  const token = parseJoinToken(o.token);
  const caCert = o.caCert ?? (await trustedClusterCa(o));
  const pki = join(o.dataDir, 'pki');
  const password = nodePassword(o.dataDir);
  const userAgent = `berth-agent/${o.nodeName}`;
  const identity = { nodeName: o.nodeName, caCert, dir: pki, nodePassword: password, log: o.log, onCert: () => undefined };
  // Connects only when asked to: an agent with a good certificate kept never uses the secret.
  const bootstrap = new RestClient({ server: o.server, ca: caCert, token: token.secret, userAgent });
  let cert: CertAndKey | undefined;
  try {
    const asker = new ClientCertManager({ ...identity, client: bootstrap });
    cert = await asker.fromDisk();
    if (!cert) {
      o.log(`joining as node ${o.nodeName}: asking for a client certificate`);
      // Nothing approves without a controller manager: say what to look at instead of waiting mutely.
      const hint = setTimeout(
        () => o.log('no answer yet: the controller manager approves join requests (kubectl get csr; kubectl certificate approve NAME does it by hand)'),
        30_000,
      );
      try {
        cert = await asker.obtain(o.signal ?? new AbortController().signal);
      } finally {
        clearTimeout(hint);
      }
    }
  } catch (e) {
    if (e instanceof CsrRefusedError) throw new Error(`cannot join as node ${o.nodeName}: ${e.detail || e.message}`);
    throw new Error(`cannot join as node ${o.nodeName}: ${(e as Error).message}`);
  } finally {
    bootstrap.close();
  }
  if (!cert) throw new Error('stopped while joining');
  const client = new RestClient({ server: o.server, ca: caCert, cert: cert.cert, key: cert.key, userAgent });
  const renewal = new ClientCertManager({ ...identity, client, onCert: (c) => client.setClientCertificate(c.cert, c.key) });
  return { caCert, client, renewal };
}
