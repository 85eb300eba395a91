// The join token, in k3s's format (pkg/clientaccess/token.go): `K10<CA hash>::<user>:<secret>`,
// where the CA hash is the SHA-256 (hex) of the CA bundle exactly as GET /cacerts serves it (the
// PEM bytes, as k3s hashes a self-signed CA). A short token is the secret alone: it proves the
// agent to the server, but nothing proves the server to the agent.
import { createHash } from 'node:crypto';

const PREFIX = 'K10';
/** The user part of the tokens Berth writes; also the bootstrap token id (`system:bootstrap:server`). */
export const JOIN_TOKEN_USER = 'server';

export interface JoinToken {
  /** Hex SHA-256 of the CA bundle; absent in a short token. */
  caHash?: string;
  secret: string;
}

/** The hash a full token pins: SHA-256 of the bundle's bytes, lower-case hex. */
export function caBundleHash(bundle: string | Buffer): string {
  return createHash('sha256').update(bundle).digest('hex');
}

export function formatJoinToken(caBundle: string, secret: string): string {
  return `${PREFIX}${caBundleHash(caBundle)}::${JOIN_TOKEN_USER}:${secret}`;
}

/** Reads a full or short token; throws what is wrong with a malformed one. */
export function parseJoinToken(token: string): JoinToken {
  const t = token.trim();
  if (!t) throw new Error('the token is empty');
  if (!t.startsWith(PREFIX) || !t.includes('::')) {
    if (/\s/.test(t)) throw new Error('the token may not contain white space');
    return { secret: t };
  }
  const [hash, creds] = [t.slice(PREFIX.length, t.indexOf('::')), t.slice(t.indexOf('::') + 2)];
  if (!/^[0-9a-f]{64}$/i.test(hash)) throw new Error(`the token's CA hash is not 64 hex digits (format: K10<sha256 hex>::${JOIN_TOKEN_USER}:<secret>)`);
  // k3s accepts `user:password` and a bare secret after the separator.
  const colon = creds.indexOf(':');
  const secret = colon >= 0 ? creds.slice(colon + 1) : creds;
  if (!secret || /\s/.test(secret)) throw new Error('the token has no secret after its CA hash');
  return { caHash: hash.toLowerCase(), secret };
}
