// What a REST handler gets for one request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from '../registry/index.js';
import type { Output } from './negotiate.js';
import type { RestStorage } from './rest-storage.js';
import type { UserInfo } from './authn/user.js';
import type { TokenIssuer } from './serviceaccount/issuer.js';
import type { Authorizer } from './authz/authorizer.js';
import { addWarnings } from './respond.js';

export interface Ctx {
  storage: RestStorage;
  req: IncomingMessage;
  res: ServerResponse;
  q: URLSearchParams;
  r: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  output: Output;
  log: (msg: string) => void;
  /** Who the request acts as (after impersonation). */
  user?: UserInfo;
  /** What signs ServiceAccount tokens (serviceaccounts/token). */
  serviceAccountTokens?: TokenIssuer;
  /** The server's authorizer, for writes that check what the user may grant (RBAC escalation). */
  authorizer?: Authorizer;
}

/** What a write needs of its request: who makes it, what judges them, and where warnings go. */
export function admissionOptions(ctx: Ctx): { user?: UserInfo; authorizer?: Authorizer; warn: (message: string) => void } {
  return { user: ctx.user, authorizer: ctx.authorizer, warn: (m) => addWarnings(ctx.res, [m]) };
}
