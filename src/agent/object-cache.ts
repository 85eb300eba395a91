// ConfigMaps and Secrets that pods' volumes project, read through a short-lived cache shared
// by all pods of the node (kubelet's TTL cache manager): many pods refreshing volumes of one
// ConfigMap cost one GET per TTL. A missing object is cached as missing for as long.
import type { RestClient } from '../client/index.js';
import { isNotFound } from '../client/index.js';

interface Gvr {
  group?: string;
  version: string;
  resource: string;
}

export class ObjectCache {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly client: RestClient,
    private readonly ttlMs: number,
  ) {}

  /** The object as read at most ttlMs ago, or undefined when it does not exist. */
  get<T>(gvr: Gvr, namespace: string, name: string): Promise<T | undefined> {
    const key = `${gvr.group ?? ''}/${gvr.resource}/${namespace}/${name}`;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value as Promise<T | undefined>;
    if (this.entries.size > 1000) for (const [k, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(k);
    const entry = { at: now, value: Promise.resolve() as Promise<unknown> };
    entry.value = this.client.get<T>({ ...gvr, namespace, name }).catch((e) => {
      if (isNotFound(e)) return undefined;
      // Errors are not cached: the next caller asks again.
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw e;
    });
    this.entries.set(key, entry);
    const value = entry.value as Promise<T | undefined>;
    return value;
  }
}
