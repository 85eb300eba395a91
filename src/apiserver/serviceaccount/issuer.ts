// The token issuer (upstream's TokenGenerator with the server's --service-account-issuer,
// --api-audiences and --service-account-max-token-expiration): signs claims with the cluster's key.
import { DEFAULT_ISSUER, tokenClaims, type ClaimsInput, type TokenClaims } from './claims.js';
import { signJws } from './jws.js';
import { verificationKeys, type SigningKey } from './keys.js';
import type { VerificationKey } from './jws.js';

export interface IssuerOptions {
  key: SigningKey;
  /** --service-account-issuer (default https://kubernetes.default.svc.cluster.local). */
  issuer?: string;
  /** --api-audiences: what a token is for when its request names no audience (default: the issuer). */
  audiences?: string[];
  /** --service-account-max-token-expiration in seconds; 0 or absent: no cap beyond validation's. */
  maxExpirationSeconds?: number;
}

const MIN_MAX_EXPIRATION_SECONDS = 3600;
const MAX_MAX_EXPIRATION_SECONDS = 2 ** 32;

/**
 * --service-account-max-token-expiration from its duration in ms (parsed by the caller): 0 for
 * none, else between an hour and 2^32 s as upstream's option validation wants. Throws Error.
 */
export function maxTokenExpirationSeconds(ms: number | undefined, text: string): number {
  if (ms === undefined) throw new Error(`--service-account-max-token-expiration: ${JSON.stringify(text)} is not a duration (e.g. 48h)`);
  const s = Math.floor(ms / 1000);
  if (s !== 0 && (s < MIN_MAX_EXPIRATION_SECONDS || s > MAX_MAX_EXPIRATION_SECONDS))
    throw new Error('--service-account-max-token-expiration: must be between 1 hour and 2^32 seconds');
  return s;
}

export class TokenIssuer {
  readonly issuer: string;
  readonly audiences: string[];
  readonly maxExpirationSeconds: number;
  readonly keys: VerificationKey[];

  constructor(private readonly o: IssuerOptions) {
    this.issuer = o.issuer ?? DEFAULT_ISSUER;
    this.audiences = o.audiences?.length ? o.audiences : [this.issuer];
    this.maxExpirationSeconds = o.maxExpirationSeconds ?? 0;
    this.keys = verificationKeys(o.key);
  }

  /** A signed token and its claims. */
  issue(input: Omit<ClaimsInput, 'issuer'>): { token: string; claims: TokenClaims } {
    const claims = tokenClaims({ ...input, issuer: this.issuer });
    return { token: signJws(claims, this.o.key.privateKey, this.o.key.kid), claims };
  }
}
