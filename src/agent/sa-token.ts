// ServiceAccount tokens for pods' projected volumes, as kubelet's token manager
// (pkg/kubelet/token/token_manager.go): a TokenRequest for the pod's ServiceAccount, bound to the
// pod, kept per pod, audience and lifetime, and asked for again once 80 % of its life is gone
// (or after 24 h) — the volume refresh then swaps the new token in atomically.
import type { Pod } from 'kubernetes-types/core/v1';
import type { RestClient } from '../client/rest.js';
import { resourcePath } from '../client/paths.js';

/** Upstream's maxTTL: a token is renewed after a day whatever its lifetime. */
const MAX_TTL_MS = 24 * 3600 * 1000;
/** Upstream's maxJitter: renewals of many pods spread over up to 10 s. */
const MAX_JITTER_MS = 10_000;
const DEFAULT_EXPIRATION_SECONDS = 3600;

interface TokenRequestStatus {
  status?: { token?: string; expirationTimestamp?: string };
}

interface Held {
  token: string;
  expiresAt: number;
  lifetimeMs: number;
}

export class ServiceAccountTokens {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly client: Pick<RestClient, 'request'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The token for the pod's projected source (a cached one until it needs renewing). */
  async token(pod: Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string> {
    const meta = pod.metadata!;
    const sa = pod.spec?.serviceAccountName || 'default';
    const seconds = expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    const key = `${meta.namespace}/${sa}/${meta.uid}/${audience ?? ''}/${seconds}`;
    const have = this.held.get(key);
    if (have && !this.needsRenewal(have)) return have.token;
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: audience ? [audience] : [],
        expirationSeconds: seconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: meta.name, uid: meta.uid },
      },
    };
    const path = resourcePath({ group: '', version: 'v1', resource: 'serviceaccounts', namespace: meta.namespace, name: sa, subresource: 'token' });
    const tr = await this.client.request<TokenRequestStatus>('POST', path, body);
    const token = tr.status?.token;
    const expiresAt = Date.parse(tr.status?.expirationTimestamp ?? '');
    if (!token || Number.isNaN(expiresAt)) throw new Error(`TokenRequest for ${meta.namespace}/${sa} returned no token`);
    // The server may have shortened the lifetime (its maximum): renew against what was granted.
    const issued = this.now();
    this.held.set(key, { token, expiresAt, lifetimeMs: Math.max(expiresAt - issued, 0) });
    return token;
  }

  /** Past 80 % of the token's life, or older than a day, minus a jitter (upstream's requiresRefresh). */
  private needsRenewal(t: Held): boolean {
    const now = this.now();
    const jitter = Math.random() * MAX_JITTER_MS;
    const issuedAt = t.expiresAt - t.lifetimeMs;
    return now > issuedAt + MAX_TTL_MS - jitter || now > t.expiresAt - t.lifetimeMs * 0.2 - jitter;
  }

  /** Forgets a pod's tokens (the pod is gone). */
  forget(uid: string): void {
    for (const k of this.held.keys()) if (k.split('/')[2] === uid) this.held.delete(k);
  }
}
