// What a subresource is to the generic handlers (upstream: one REST object per subresource,
// e.g. pkg/registry/core/pod/storage/storage.go's BindingREST, EvictionREST, StatusREST).
// The handlers know subresources only through this shape; each subresource is one module.
import type { KObject } from '../../api/object.js';
import type { ResourceType } from '../../registry/index.js';
import type { RestStorage } from '../rest-storage.js';
import type { Subresource } from '../../registry/strategy.js';
import type { Ctx } from '../ctx.js';

export interface KindRef {
  apiVersion: string;
  kind: string;
}

export interface SubresourceRest {
  /**
   * POST of a request object of its own kind, answered with a Success Status (binding,
   * eviction) or, when run returns one, with an object (a TokenRequest with its token).
   */
  create?: {
    expects: KindRef;
    run(storage: RestStorage, r: ResourceType, namespace: string, name: string, body: KObject, dryRun: boolean, ctx?: Ctx): Promise<void | KObject>;
  };
  /** GET, PUT and PATCH of the object seen as another kind (scale). */
  view?: {
    kind: KindRef;
    /** The group named in the view's validation errors. */
    group: string;
    to(obj: KObject): KObject;
    from(obj: KObject, view: KObject): KObject;
  };
  /**
   * Writes of a part of the object itself (PUT always): `scope` tells RestStorage which part
   * (status, approval, finalize); `get` and `patch` whether those verbs are served too.
   */
  part?: { scope: Subresource; get: boolean; patch: boolean };
}
