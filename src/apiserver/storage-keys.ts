import type { ResourceType } from '../registry/index.js';

/** Where an object lives in the store: /registry/<resource key>/[<namespace>/]<name>. */
export function objectKey(r: ResourceType, namespace: string | undefined, name: string): string {
  return r.namespaced ? `/registry/${r.key}/${namespace}/${name}` : `/registry/${r.key}/${name}`;
}

/** The key prefix of a resource's objects, in one namespace or all of them. */
export function collectionPrefix(r: ResourceType, namespace?: string): string {
  return r.namespaced && namespace ? `/registry/${r.key}/${namespace}/` : `/registry/${r.key}/`;
}
