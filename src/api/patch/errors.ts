/** A patch that cannot be applied: the API answers 422 (or 400 for undecodable patches). */
export class PatchError extends Error {}
