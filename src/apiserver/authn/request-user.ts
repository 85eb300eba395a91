// Who a request acts as, and the authorizer that judges it, for the code that runs deep inside a
// write (the RBAC kinds' escalation checks): upstream carries it in the request's
// context.Context; Berth passes it down explicitly, in the write's options (an
// AsyncLocalStorage would do it implicitly, but on Node 20 it hooks every promise of every
// request: ~5 % of a busy server's time). Writes made by the server itself (bootstrap, repair
// loops) have none.
import type { UserInfo } from './user.js';
import type { Authorizer } from '../authz/authorizer.js';

export interface RequestIdentity {
  user: UserInfo;
  authorizer: Authorizer;
}
