// The indexer: an informer's cache of objects by "namespace/name" key, with named secondary
// indexes (by namespace, by node name...) kept current on every change, and Replace's diff.
import type { KubeObject } from './types.js';

/** The values an object is indexed under (an object may sit under several, or none). */
export type IndexFunc<T> = (obj: T) => string[];
export type KeyFunc<T> = (obj: T) => string;

/**
 * client-go's MetaNamespaceKeyFunc: "namespace/name", or "name" for cluster-scoped objects.
 * Built by join, which makes a flat string: a template literal makes a cons string, which a
 * Map key then flattens into a second string beside it (a cache keeps one key per object).
 */
export function metaNamespaceKey(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? [ns, name].join('/') : name;
}

export function splitMetaNamespaceKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Index name and function for objects by namespace. */
export const NAMESPACE_INDEX = 'namespace';
export const byNamespace: IndexFunc<KubeObject> = (o) => (o.metadata?.namespace ? [o.metadata.namespace] : []);

/** Index name and function for pods by spec.nodeName (unscheduled pods sit under ""). */
export const NODE_NAME_INDEX = 'nodeName';
export const byNodeName: IndexFunc<{ spec?: { nodeName?: string } }> = (p) => [p.spec?.nodeName ?? ''];

/** A change Replace found between the cache and a fresh list. */
export type Delta<T> = { type: 'add'; obj: T } | { type: 'update'; old: T; obj: T } | { type: 'delete'; obj: T };

export class Indexer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  /** index name → indexed value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  /** Each index with its function, as every change walks them. */
  private readonly indexers: Array<{ fn: IndexFunc<T>; index: Map<string, Set<string>> }> = [];

  constructor(
    indexers: Record<string, IndexFunc<T>> = {},
    readonly keyOf: KeyFunc<T> = metaNamespaceKey,
  ) {
    for (const [name, fn] of Object.entries(indexers)) this.addIndex(name, fn);
  }

  get size(): number {
    return this.items.size;
  }

  /** Adds an index (before or after items arrived); shared informers gather their users' indexes. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indices.has(name)) return;
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    this.indexers.push({ fn, index });
    for (const [key, obj] of this.items) {
      for (const v of fn(obj)) {
        let keys = index.get(v);
        if (!keys) index.set(v, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  /** Adds or replaces; returns the object it replaced. */
  set(obj: T): T | undefined {
    const key = this.keyOf(obj);
    const old = this.items.get(key);
    if (old !== undefined) keepIdentityStrings(old, obj);
    this.items.set(key, obj);
    this.reindex(key, old, obj);
    return old;
  }

  /** Removes by object or key; returns what was there. */
  delete(objOrKey: T | string): T | undefined {
    const key = typeof objOrKey === 'string' ? objOrKey : this.keyOf(objOrKey);
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    this.reindex(key, old, undefined);
    return old;
  }

  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }

  get(obj: T): T | undefined {
    return this.items.get(this.keyOf(obj));
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listKeys(): string[] {
    return [...this.items.keys()];
  }

  /** Objects indexed under value by the named index. */
  byIndex(indexName: string, value: string): T[] {
    return this.indexKeys(indexName, value).map((k) => this.items.get(k)!);
  }

  indexKeys(indexName: string, value: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index "${indexName}" does not exist`);
    return [...(index.get(value) ?? [])];
  }

  /** The values present in the named index (e.g. every node name that has pods). */
  indexValues(indexName: string): string[] {
    const index = this.indices.get(indexName);
    if (!index) throw new Error(`index "${indexName}" does not exist`);
    return [...index.keys()];
  }

  /**
   * Makes the cache hold exactly items (a fresh list), returning what changed, as client-go's
   * Replace: objects new to the cache are adds, ones whose resourceVersion moved are updates,
   * and ones missing from the list are deletes carrying the last state the cache knew.
   */
  replace(items: T[]): Delta<T>[] {
    const deltas: Delta<T>[] = [];
    const seen = new Set<string>();
    for (const obj of items) {
      const key = this.keyOf(obj);
      seen.add(key);
      const old = this.set(obj);
      if (old === undefined) deltas.push({ type: 'add', obj });
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) deltas.push({ type: 'update', old, obj });
    }
    for (const [key, old] of [...this.items]) {
      if (seen.has(key)) continue;
      this.delete(key);
      deltas.push({ type: 'delete', obj: old });
    }
    return deltas;
  }

  private reindex(key: string, old: T | undefined, obj: T | undefined): void {
    for (const { fn, index } of this.indexers) {
      const before = old === undefined ? [] : fn(old);
      const after = obj === undefined ? [] : fn(obj);
      // Most updates leave an object where it was indexed (same namespace, same node): the key
      // is under those values already.
      if (sameValues(before, after)) continue;
      for (const v of before) {
        if (after.includes(v)) continue;
        const keys = index.get(v);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(v);
      }
      for (const v of after) {
        let keys = index.get(v);
        if (!keys) index.set(v, (keys = new Set()));
        keys.add(key);
      }
    }
  }
}

/**
 * Every version of an object arrives with its own copy of its name and uid (unique strings,
 * left out of the interner). Readers that keep them beyond the cache (the garbage collector's
 * graph: its map is keyed by the first version's uid, its nodes name the object) would hold a
 * second copy per object once the cache moves to a newer version, so a new version takes the
 * strings of the one it replaces when they are equal (issue #17).
 */
function keepIdentityStrings(old: KubeObject, obj: KubeObject): void {
  const was = old.metadata;
  const now = obj.metadata as { uid?: string; name?: string } | undefined;
  if (!was || !now || Object.isFrozen(now)) return;
  if (now.uid !== undefined && now.uid === was.uid) now.uid = was.uid;
  if (now.name !== undefined && now.name === was.name) now.name = was.name;
}

function sameValues(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
