// What a REST handler gets for one request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from '../registry/index.js';
import type { Output } from './negotiate.js';
import type { RestStorage } from './rest-storage.js';
import type { UserInfo } from './authn/user.js';
import type { TokenIssuer } from './serviceaccount/issuer.js';
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
}

/** What admission needs of a request for a write: who makes it, and where its warnings go. */
export function admissionOptions(ctx: Ctx): { user?: UserInfo; warn: (message: string) => void } {
  return { user: ctx.user, warn: (m) => addWarnings(ctx.res, [m]) };
}
