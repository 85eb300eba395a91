// The status subresource (upstream's StatusREST): writes change status only.
import type { SubresourceRest } from './rest.js';

export const status: SubresourceRest = { part: { scope: 'status', get: true, patch: true } };
