// certificatesigningrequests/approval (upstream's ApprovalREST): writes change the Approved and
// Denied conditions only; which fields that is, the kind's strategy says.
import type { SubresourceRest } from './rest.js';

export const approval: SubresourceRest = { part: { scope: 'approval', get: true, patch: true } };
