// serviceaccounts/token: the TokenRequest API (upstream's
// pkg/registry/core/serviceaccount/storage/token.go). POST a TokenRequest, get it back with a
// signed token for the ServiceAccount, optionally bound to a Pod, Secret or Node of the
// namespace whose uid it then carries (the token dies with that object: ../serviceaccount/authenticator.ts).
import type { KObject } from '../../api/object.js';
import { isPlainObject } from '../../api/object.js';
import { invalid as fieldInvalid } from '../../api/field-errors.js';
import { resourceByKey, type ResourceType } from '../../registry/index.js';
import { rfc3339 } from '../../client/time.js';
import { ApiError, badRequest, invalid } from '../errors.js';
import type { RestStorage } from '../rest-storage.js';
import type { Ref } from '../serviceaccount/claims.js';
import type { TokenIssuer } from '../serviceaccount/issuer.js';
import type { SubresourceRest } from './rest.js';
import { PROJECTED_TOKEN_EXPIRATION_SECONDS } from '../admission/plugins/service-account.js';

export const TOKEN_REQUEST = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' };
/** authentication.k8s.io's defaulting of spec.expirationSeconds. */
export const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
/** Upstream's ExpirationExtensionSeconds: a year. */
const EXTENDED_EXPIRATION_SECONDS = 365 * 24 * 3600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

interface BoundObjectRef {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef?: BoundObjectRef;
}

/** The spec, defaulted and validated as upstream's SetDefaults_TokenRequestSpec and ValidateTokenRequest. */
function requestSpec(body: KObject): TokenRequestSpec {
  const raw = body.spec ?? {};
  const name = body.metadata.name ?? '';
  if (!isPlainObject(raw)) throw badRequest('TokenRequest in version "v1" cannot be handled as a TokenRequest: spec must be an object');
  const auds = raw.audiences ?? [];
  if (!Array.isArray(auds) || auds.some((a) => typeof a !== 'string'))
    throw badRequest('TokenRequest in version "v1" cannot be handled as a TokenRequest: spec.audiences must be a list of strings');
  const exp = raw.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (typeof exp !== 'number' || !Number.isInteger(exp))
    throw badRequest('TokenRequest in version "v1" cannot be handled as a TokenRequest: spec.expirationSeconds must be an integer');
  if (exp < MIN_EXPIRATION_SECONDS)
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [
      fieldInvalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'),
    ]);
  if (exp > MAX_EXPIRATION_SECONDS)
    throw invalid('TokenRequest', 'authentication.k8s.io', name, [
      fieldInvalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'),
    ]);
  const ref = raw.boundObjectRef;
  if (ref !== undefined && ref !== null && !isPlainObject(ref))
    throw badRequest('TokenRequest in version "v1" cannot be handled as a TokenRequest: spec.boundObjectRef must be an object');
  return { audiences: auds as string[], expirationSeconds: exp, ...(ref ? { boundObjectRef: ref as BoundObjectRef } : {}) };
}

const refOf = (o: KObject): Ref => ({ name: o.metadata.name!, uid: o.metadata.uid! });

/** Reads `name` from the store (not the cache: the object may have been created a moment ago). */
async function existing(storage: RestStorage, r: ResourceType, namespace: string | undefined, name: string): Promise<KObject> {
  return await storage.get(r, r.namespaced ? namespace : undefined, name);
}

interface Bound {
  pod?: Ref;
  secret?: Ref;
  node?: Ref;
}

/** What the token is bound to: the object the ref names, checked against its uid and (pods) ServiceAccount. */
async function boundObjects(storage: RestStorage, namespace: string, saName: string, ref: BoundObjectRef): Promise<Bound> {
  const [group, version] = (ref.apiVersion ?? '').includes('/') ? ref.apiVersion!.split('/') : ['', ref.apiVersion ?? ''];
  const kind = ref.kind ?? '';
  if (group !== '' || !['Pod', 'Secret', 'Node'].includes(kind)) throw badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
  if (!ref.name) throw badRequest('cannot bind token to an object without a name (spec.boundObjectRef.name)');
  const r = resourceByKey(kind === 'Pod' ? 'pods' : kind === 'Secret' ? 'secrets' : 'nodes');
  const obj = await existing(storage, r, namespace, ref.name);
  if (ref.uid && ref.uid !== obj.metadata.uid) {
    throw new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${kind} "${ref.name}": the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      { name: ref.name, kind },
    );
  }
  if (kind === 'Secret') return { secret: refOf(obj) };
  if (kind === 'Node') return { node: refOf(obj) };
  const spec = obj.spec as { serviceAccountName?: string; nodeName?: string } | undefined;
  if ((spec?.serviceAccountName ?? 'default') !== saName) {
    throw badRequest(`cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`);
  }
  const bound: Bound = { pod: refOf(obj) };
  // The node the pod runs on goes into the claims too (upstream's ServiceAccountTokenPodNodeInfo).
  if (spec?.nodeName) {
    const node = await existing(storage, resourceByKey('nodes'), undefined, spec.nodeName).catch(() => undefined);
    if (node) bound.node = refOf(node);
  }
  return bound;
}

/** POST serviceaccounts/NAME/token. */
export async function createToken(
  storage: RestStorage,
  issuer: TokenIssuer,
  namespace: string,
  name: string,
  body: KObject,
  dryRun: boolean,
): Promise<KObject> {
  const spec = requestSpec(body);
  const sa = await existing(storage, resourceByKey('serviceaccounts'), namespace, name);
  const bound = spec.boundObjectRef ? await boundObjects(storage, namespace, name, spec.boundObjectRef) : {};
  if (!spec.audiences.length) spec.audiences = [...issuer.audiences];
  if (issuer.maxExpirationSeconds > 0 && spec.expirationSeconds > issuer.maxExpirationSeconds) spec.expirationSeconds = issuer.maxExpirationSeconds;
  const now = Date.now();
  // Upstream's --service-account-extend-token-expiration (default on): the token a kubelet asks
  // for an admission-made volume (3607 s, bound to a pod, for the API server) is valid for a year,
  // with a warnafter claim at the 3607 s mark, so that clients that do not reread the file keep
  // working; the status still says 3607 s, which is when the node renews it.
  let lifetime = spec.expirationSeconds;
  let warnAfterSeconds: number | undefined;
  if (bound.pod && lifetime === PROJECTED_TOKEN_EXPIRATION_SECONDS && spec.audiences.every((a) => issuer.audiences.includes(a))) {
    warnAfterSeconds = lifetime;
    lifetime = issuer.maxExpirationSeconds > 0 ? Math.min(EXTENDED_EXPIRATION_SECONDS, issuer.maxExpirationSeconds) : EXTENDED_EXPIRATION_SECONDS;
  }
  const token = dryRun
    ? ''
    : issuer.issue({ namespace, serviceAccount: refOf(sa), audiences: spec.audiences, expirationSeconds: lifetime, warnAfterSeconds, now, ...bound }).token;
  return {
    ...TOKEN_REQUEST,
    metadata: { ...body.metadata, name, namespace },
    spec: { ...spec, ...(spec.boundObjectRef ? { boundObjectRef: spec.boundObjectRef } : {}) },
    status: { token, expirationTimestamp: rfc3339(new Date(Math.floor(now / 1000) * 1000 + spec.expirationSeconds * 1000)) },
  };
}

export const token: SubresourceRest = {
  create: {
    expects: TOKEN_REQUEST,
    run: async (storage, _r, namespace, name, body, dryRun, ctx) => {
      if (!ctx?.serviceAccountTokens) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
      return await createToken(storage, ctx.serviceAccountTokens, namespace, name, body, dryRun);
    },
  },
};
