// OIDC discovery of the ServiceAccount token issuer (upstream's ServiceAccountIssuerDiscovery:
// pkg/serviceaccount/openidmetadata.go): the provider configuration and the public keys, so that
// a relying party outside the cluster can check the tokens. Who may read them is RBAC's
// (system:service-account-issuer-discovery, bound to system:serviceaccounts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotAllowed } from '../errors.js';
import { endWithBody } from '../respond.js';
import { jwks } from './keys.js';
import { ALG } from './jws.js';
import type { TokenIssuer } from './issuer.js';

export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

/** The provider configuration: upstream's jwks_uri is the issuer's origin plus the JWKS path. */
export function openidConfiguration(issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: new URL(JWKS_PATH, issuer).toString(),
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [ALG],
  };
}

function send(res: ServerResponse, contentType: string, doc: unknown): void {
  const body = Buffer.from(JSON.stringify(doc));
  // Upstream lets caches keep both for an hour.
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'public, max-age=3600', 'Content-Length': body.length });
  endWithBody(res, body);
}

/** Serves the two discovery documents; false for any other path. */
export function serveOidcDiscovery(path: string, req: IncomingMessage, res: ServerResponse, issuer: TokenIssuer): boolean {
  if (path !== OPENID_CONFIGURATION_PATH && path !== JWKS_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
  if (path === OPENID_CONFIGURATION_PATH) send(res, 'application/json', openidConfiguration(issuer.issuer));
  else send(res, 'application/jwk-set+json', jwks(issuer.keys));
  return true;
}
