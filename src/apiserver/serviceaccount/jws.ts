// Compact JWS (RFC 7515) with RS256, the form upstream's service account tokens take: what
// signs a token and what checks one, with Node's crypto (no JWT library).
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const ALG = 'RS256';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export interface VerificationKey {
  kid: string;
  key: KeyObject;
}

/** A JWS over `payload`, its header naming the key that signed it (kid) as upstream's does. */
export function signJws(payload: object, privateKey: KeyObject, kid: string): string {
  const input = `${b64url(JSON.stringify({ alg: ALG, kid }))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

/** Why a token is not one of ours, for the authenticator's log (never sent to the client). */
export class JwsError extends Error {}

/** Whether a bearer token has the shape of a JWS at all (three base64url parts). */
export function looksLikeJws(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

function parseJson(part: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError(`${what} is not JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new JwsError(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * The payload of a token signed with RS256 by one of `keys`: the key named by its kid, or any
 * key when it names none (tokens of other issuers may omit it). Throws JwsError otherwise.
 */
export function verifyJws(token: string, keys: VerificationKey[]): Record<string, unknown> {
  if (!looksLikeJws(token)) throw new JwsError('not a compact JWS');
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = parseJson(h, 'header');
  // Only the algorithm we sign with: never `none`, never an HMAC keyed with a public key.
  if (header.alg !== ALG) throw new JwsError(`unsupported algorithm ${String(header.alg)}`);
  const candidates = typeof header.kid === 'string' ? keys.filter((k) => k.kid === header.kid) : keys;
  const input = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  if (!candidates.some((k) => verify('sha256', input, k.key, sig))) throw new JwsError('invalid signature');
  return parseJson(p, 'payload');
}

/** Upstream's key id: the unpadded base64url SHA-256 of the public key's DER (PKIX) form. */
export function keyId(publicKey: KeyObject): string {
  const der = (publicKey.type === 'public' ? publicKey : createPublicKey(publicKey)).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}
