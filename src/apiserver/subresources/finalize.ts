// namespaces/finalize (upstream's FinalizeREST): a PUT that changes spec.finalizers only, how the
// namespace controller finishes a deleted namespace. Upstream serves no GET or PATCH on it.
import type { SubresourceRest } from './rest.js';

export const finalize: SubresourceRest = { part: { scope: 'finalize', get: false, patch: false } };
