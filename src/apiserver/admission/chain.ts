// The admission chain, as upstream's k8s.io/apiserver/pkg/admission chainAdmissionHandler:
// every write runs the mutating phase (each plugin's admit, in order) before validation, and
// the validating phase (each plugin's validate, in order) after it, just before the store.
//
// Adding a plugin:
//   1. write src/apiserver/admission/plugins/<name>.ts exporting an AdmissionPlugin (types.ts):
//      `handles` says cheaply which requests it looks at (operation, resource, subresource),
//      `admit` mutates attrs.object, `validate` refuses; both throw an ApiError (errors.ts) to
//      refuse, with upstream's message;
//   2. add one line for it in plugins.ts, at upstream's place in the order
//      (pkg/kubeapiserver/options/plugins.go);
//   3. put its unit test beside it (plugins/<name>.test.ts; test-helpers.ts builds attributes).
import type { AdmissionAttributes, AdmissionPlugin } from './types.js';

export class AdmissionChain {
  constructor(readonly plugins: readonly AdmissionPlugin[]) {}

  /** The mutating phase: may change attrs.object. */
  async admit(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.admit && p.handles(a)) await p.admit(a);
  }

  /** The validating phase: may only refuse. */
  async validate(a: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) if (p.validate && p.handles(a)) await p.validate(a);
  }

  /** What the plugins will look up for this request (to read ahead of a lagging cache). */
  lookupsFor(a: AdmissionAttributes): Array<[key: string, namespace: string | undefined, name: string]> {
    const out: Array<[string, string | undefined, string]> = [];
    for (const p of this.plugins) if (p.lookupsFor && p.handles(a)) out.push(...p.lookupsFor(a));
    return out;
  }
}
