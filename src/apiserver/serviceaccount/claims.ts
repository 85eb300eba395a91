// What a ServiceAccount token says (upstream's pkg/serviceaccount/claims.go): the registered
// claims and the private `kubernetes.io` claim naming the ServiceAccount and the object the token
// is bound to, and how a verified token's claims are checked before it stands for its user.
import { randomUUID } from 'node:crypto';
import { serviceAccountUsername } from '../authn/user.js';

/** Upstream's default --service-account-issuer for in-cluster use (kubeadm, k3s). */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface Ref {
  name: string;
  uid: string;
}

export interface KubernetesClaim {
  namespace: string;
  serviceaccount: Ref;
  pod?: Ref;
  secret?: Ref;
  node?: Ref;
  /** On the year-long tokens handed out for kubelet's 3607 s requests: when they were due for renewal. */
  warnafter?: number;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': KubernetesClaim;
}

export interface ClaimsInput {
  issuer: string;
  namespace: string;
  serviceAccount: Ref;
  audiences: string[];
  expirationSeconds: number;
  pod?: Ref;
  secret?: Ref;
  /** The node the token's pod runs on, or the node it is bound to. */
  node?: Ref;
  /** Seconds after which using the token is worth a warning (extended pod tokens). */
  warnAfterSeconds?: number;
  now?: number;
}

export function tokenClaims(i: ClaimsInput): TokenClaims {
  const now = Math.floor((i.now ?? Date.now()) / 1000);
  const k: KubernetesClaim = { namespace: i.namespace, serviceaccount: i.serviceAccount };
  if (i.pod) k.pod = i.pod;
  else if (i.secret) k.secret = i.secret;
  if (i.node) k.node = i.node;
  if (i.warnAfterSeconds) k.warnafter = now + i.warnAfterSeconds;
  return {
    iss: i.issuer,
    sub: serviceAccountUsername(i.namespace, i.serviceAccount.name),
    aud: i.audiences,
    exp: now + i.expirationSeconds,
    iat: now,
    nbf: now,
    jti: randomUUID(),
    'kubernetes.io': k,
  };
}

/** Upstream's jwt.DefaultLeeway: clocks of servers may differ this much. */
export const LEEWAY_SECONDS = 60;

export class ClaimsError extends Error {}

const isRef = (v: unknown): v is Ref => !!v && typeof v === 'object' && typeof (v as Ref).name === 'string' && typeof (v as Ref).uid === 'string';

/**
 * The claims of a signature-checked payload, if issued by `issuer` for one of `audiences` and
 * valid at `now` (ms): upstream's public-claims validation with its leeway. Throws ClaimsError.
 */
export function checkClaims(payload: Record<string, unknown>, issuer: string, audiences: string[], now = Date.now()): TokenClaims {
  if (payload.iss !== issuer) throw new ClaimsError('token issuer is not this server');
  const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud;
  if (!Array.isArray(aud) || !aud.some((a) => audiences.includes(a as string))) throw new ClaimsError('token audiences are not accepted');
  const t = now / 1000;
  if (typeof payload.exp !== 'number' || t > payload.exp + LEEWAY_SECONDS) throw new ClaimsError('service account token has expired');
  if (typeof payload.nbf === 'number' && t < payload.nbf - LEEWAY_SECONDS) throw new ClaimsError('service account token is not valid yet');
  const k = payload['kubernetes.io'] as KubernetesClaim | undefined;
  if (!k || typeof k.namespace !== 'string' || !k.namespace || !isRef(k.serviceaccount))
    throw new ClaimsError('token has no kubernetes.io serviceaccount claim');
  if (payload.sub !== serviceAccountUsername(k.namespace, k.serviceaccount.name))
    throw new ClaimsError('token subject does not match its serviceaccount claim');
  for (const bound of [k.pod, k.secret, k.node]) if (bound !== undefined && !isRef(bound)) throw new ClaimsError('token has a malformed bound object claim');
  return { ...(payload as unknown as TokenClaims), aud: aud as string[] };
}
