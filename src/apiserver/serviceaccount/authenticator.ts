// Bearer ServiceAccount tokens (upstream's serviceaccount JWT authenticator with the "legacy"
// validator for tokens of its own issuer): the signature and the claims, then the objects the
// token names must still be there with the uid it carries — the ServiceAccount, and the Pod,
// Secret or Node it is bound to — so that deleting one of them revokes the token at once.
//
// The RSA verification is the expensive part (tens of µs); as upstream's token cache, a verified
// token's claims are kept briefly by the token's SHA-256. The object checks read the watch caches
// on every request (a map lookup), so a revoked token stops working on the next request.
import { createHash } from 'node:crypto';
import type { KObject } from '../../api/object.js';
import { resourceByKey } from '../../registry/index.js';
import type { RestStorage } from '../rest-storage.js';
import { objectKey } from '../storage-keys.js';
import { ALL_AUTHENTICATED, type UserInfo } from '../authn/user.js';
import { checkClaims, ClaimsError, LEEWAY_SECONDS, type Ref, type TokenClaims } from './claims.js';
import { JwsError, looksLikeJws, verifyJws } from './jws.js';
import type { TokenIssuer } from './issuer.js';

/** Upstream's --authentication-token-cache success TTL for the token authenticators. */
const CACHE_TTL_MS = 10_000;
const CACHE_MAX_ENTRIES = 10_000;

export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
const EXTRA = 'authentication.kubernetes.io/';

/** Why a token was refused (logged; the client only ever sees 401 Unauthorized). */
export class InvalidTokenError extends Error {}

type Lookup = (key: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes', namespace: string | undefined, name: string) => Promise<KObject | undefined>;

/** An object as the watch cache has it; on a miss the store (the cache may lag a write over etcd). */
export function storageLookup(storage: RestStorage): Lookup {
  return async (key, namespace, name) => {
    const r = resourceByKey(key);
    const k = objectKey(r, r.namespaced ? namespace : undefined, name);
    const hit = storage.cache(r).get(k)?.obj;
    if (hit || storage.store.synchronousWatch) return hit;
    return await storage.get(r, r.namespaced ? namespace : undefined, name).catch(() => undefined);
  };
}

export class ServiceAccountAuthenticator {
  private readonly verified = new Map<string, { claims: TokenClaims; until: number }>();

  constructor(
    private readonly issuer: TokenIssuer,
    private readonly lookup: Lookup,
  ) {}

  /**
   * The token's user; undefined when it is no JWS (another authenticator's token); throws
   * InvalidTokenError for a JWS that is not a valid token of this issuer.
   */
  async authenticate(token: string, now = Date.now()): Promise<UserInfo | undefined> {
    if (!looksLikeJws(token)) return undefined;
    const claims = this.claimsOf(token, now);
    await this.checkObjects(claims['kubernetes.io'], now);
    return userOf(claims);
  }

  private claimsOf(token: string, now: number): TokenClaims {
    const hash = createHash('sha256').update(token).digest('base64');
    const hit = this.verified.get(hash);
    if (hit && hit.until > now) return hit.claims;
    let claims: TokenClaims;
    try {
      claims = checkClaims(verifyJws(token, this.issuer.keys), this.issuer.issuer, this.issuer.audiences, now);
    } catch (e) {
      if (e instanceof JwsError || e instanceof ClaimsError) throw new InvalidTokenError(e.message);
      throw e;
    }
    if (this.verified.size >= CACHE_MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
    // Never past the token's own expiry.
    this.verified.set(hash, { claims, until: Math.min(now + CACHE_TTL_MS, (claims.exp + LEEWAY_SECONDS) * 1000) });
    return claims;
  }

  private async checkObjects(k: TokenClaims['kubernetes.io'], now: number): Promise<void> {
    const sa = await this.lookup('serviceaccounts', k.namespace, k.serviceaccount.name);
    if (!sa) throw new InvalidTokenError(`serviceaccounts "${k.serviceaccount.name}" not found`);
    if (deletedBefore(sa, now)) throw new InvalidTokenError(`service account ${k.namespace}/${k.serviceaccount.name} has been deleted`);
    if (sa.metadata.uid !== k.serviceaccount.uid)
      throw new InvalidTokenError(`service account UID (${sa.metadata.uid}) does not match claim (${k.serviceaccount.uid})`);
    const bound: Array<['pods' | 'secrets' | 'nodes', Ref | undefined]> = [
      ['secrets', k.secret],
      ['pods', k.pod],
      // A pod's node is information; only a token bound to the node itself dies with the node.
      ['nodes', k.pod ? undefined : k.node],
    ];
    for (const [key, ref] of bound) {
      if (!ref) continue;
      const obj = await this.lookup(key, k.namespace, ref.name);
      if (!obj || deletedBefore(obj, now) || obj.metadata.uid !== ref.uid) throw new InvalidTokenError('service account token has been invalidated');
    }
  }
}

/** Marked for deletion longer ago than the leeway (a terminating pod's token still works meanwhile, as upstream). */
function deletedBefore(o: KObject, now: number): boolean {
  const ts = o.metadata.deletionTimestamp;
  return !!ts && Date.parse(ts) < now - LEEWAY_SECONDS * 1000;
}

/** The user a token stands for, as upstream's ServiceAccountInfo.UserInfo(). */
export function userOf(claims: TokenClaims): UserInfo {
  const k = claims['kubernetes.io'];
  const extra: Record<string, string[]> = {};
  if (k.pod) {
    extra[`${EXTRA}pod-name`] = [k.pod.name];
    extra[`${EXTRA}pod-uid`] = [k.pod.uid];
  }
  if (k.node) {
    extra[`${EXTRA}node-name`] = [k.node.name];
    extra[`${EXTRA}node-uid`] = [k.node.uid];
  }
  if (claims.jti) extra[`${EXTRA}credential-id`] = [`JTI=${claims.jti}`];
  return {
    name: claims.sub,
    uid: k.serviceaccount.uid,
    groups: [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${k.namespace}`, ALL_AUTHENTICATED],
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}
