// Reading a kubeconfig into what a client needs to connect: the current context's server URL,
// the CA to trust, and the user's credentials (client certificate or bearer token).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import YAML from 'yaml';

export interface ConnectionOptions {
  /** https://host:port, no trailing slash. */
  server: string;
  /** PEM of the CA that signed the server's certificate (absent: the system's CAs). */
  ca?: string;
  /** PEM client certificate and key, for certificate authentication. */
  cert?: string;
  key?: string;
  token?: string;
  insecureSkipTLSVerify?: boolean;
  /** The TLS server name to verify instead of the URL's host. */
  tlsServerName?: string;
  /** The context's default namespace, when it names one. */
  namespace?: string;
}

export interface KubeconfigOptions {
  /** Use this context instead of current-context. */
  context?: string;
  /** Where relative file paths in the kubeconfig are resolved (default: the file's directory). */
  baseDir?: string;
}

type Fields = Record<string, unknown>;

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

/** The kubeconfig path kubectl would use: the first entry of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(): string {
  const env = process.env.KUBECONFIG?.split(':').find((p) => p.trim());
  return env ? resolve(env) : join(homedir(), '.kube', 'config');
}

export function loadKubeconfig(path = defaultKubeconfigPath(), opts: KubeconfigOptions = {}): ConnectionOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new KubeconfigError(`cannot read kubeconfig ${path}: ${(e as Error).message}`);
  }
  return parseKubeconfig(text, { baseDir: dirname(resolve(path)), ...opts });
}

export function parseKubeconfig(text: string, opts: KubeconfigOptions = {}): ConnectionOptions {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new KubeconfigError(`kubeconfig is not valid YAML: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new KubeconfigError('kubeconfig is empty');
  const cfg = doc as Fields;
  const contextName = opts.context ?? (cfg['current-context'] as string | undefined);
  if (!contextName) throw new KubeconfigError('kubeconfig has no current-context and no context was given');
  const context = pick(cfg.contexts, contextName, 'context');
  const clusterName = context.cluster as string | undefined;
  if (!clusterName) throw new KubeconfigError(`context "${contextName}" names no cluster`);
  const cluster = pick(cfg.clusters, clusterName, 'cluster');
  const userName = context.user as string | undefined;
  const user = userName ? pick(cfg.users, userName, 'user') : {};

  const server = cluster.server;
  if (typeof server !== 'string' || !server) throw new KubeconfigError(`cluster "${clusterName}" has no server`);
  const baseDir = opts.baseDir ?? process.cwd();
  const out: ConnectionOptions = { server: server.replace(/\/+$/, '') };
  const ca = dataOrFile(cluster, 'certificate-authority', baseDir);
  if (ca) out.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) out.insecureSkipTLSVerify = true;
  if (typeof cluster['tls-server-name'] === 'string') out.tlsServerName = cluster['tls-server-name'];
  const cert = dataOrFile(user, 'client-certificate', baseDir);
  const key = dataOrFile(user, 'client-key', baseDir);
  if (cert || key) {
    if (!cert || !key) throw new KubeconfigError(`user "${userName}" needs both a client certificate and a client key`);
    out.cert = cert;
    out.key = key;
  }
  if (typeof user.token === 'string' && user.token) out.token = user.token;
  else if (typeof user.tokenFile === 'string' && user.tokenFile) out.token = readFileSync(resolvePath(user.tokenFile, baseDir), 'utf8').trim();
  if (typeof context.namespace === 'string' && context.namespace) out.namespace = context.namespace;
  return out;
}

/** The named entry of clusters/users/contexts, unwrapped: `{name, cluster: {...}}` gives `{...}`. */
function pick(list: unknown, name: string, kind: 'cluster' | 'user' | 'context'): Fields {
  const entries = Array.isArray(list) ? (list as Fields[]) : [];
  const found = entries.find((e) => e && e.name === name);
  if (!found) throw new KubeconfigError(`kubeconfig has no ${kind} named "${name}"`);
  return (found[kind] as Fields | undefined) ?? {};
}

/** `<field>-data` (base64 PEM) wins over `<field>` (a file path), as in client-go. */
function dataOrFile(section: Fields, field: string, baseDir: string): string | undefined {
  const data = section[`${field}-data`];
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
  const file = section[field];
  if (typeof file === 'string' && file) {
    try {
      return readFileSync(resolvePath(file, baseDir), 'utf8');
    } catch (e) {
      throw new KubeconfigError(`cannot read ${field} ${file}: ${(e as Error).message}`);
    }
  }
  return undefined;
}

function resolvePath(p: string, baseDir: string): string {
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : join(baseDir, p);
}
