// Boolean query parameters decoded as kube-apiserver decodes them (apimachinery's conversion of
// url.Values into option structs): only the first value counts, and only "0" or "false" (any
// case) is false; anything else, "True", "yes" and the empty string included, is true. Both the
// API server and the node agent read their booleans here, so that `watch=True` (the Python
// client) and `stdout=1` mean the same thing on either side.

/** true or false when the parameter is present; undefined when it is absent (a nil *bool upstream). */
export function optionalBoolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  return v !== '0' && v.toLowerCase() !== 'false';
}

/** A boolean parameter that is false when absent. */
export function boolParam(q: URLSearchParams, name: string): boolean {
  return optionalBoolParam(q, name) ?? false;
}
