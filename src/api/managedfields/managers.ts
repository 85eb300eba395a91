// Field ownership across managers (structured-merge-diff's merge.Updater with the API server's
// managedFields bookkeeping): every write is an Update or an Apply by one manager; the fields
// it changes move to it from everybody else; an Apply also drops the fields its manager
// stopped applying, and refuses to take fields from other managers unless forced.
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1';
import { isPlainObject } from '../object.js';
import {
  comparePaths,
  difference,
  fromFieldsV1,
  intersection,
  isCanonicalFieldsV1,
  sameSet,
  toFieldsV1,
  treeHas,
  union,
  type FieldSet,
  type FieldsV1,
} from './fieldset.js';
import { compare, isSame, merge, removeItems, toFieldSet, withNamedFields, type Comparison } from './typed.js';
import type { TypeNode } from './schema.js';

export type Operation = 'Apply' | 'Update';

/** Who writes: the manager, how, through which subresource, at which version. */
export interface Writer {
  manager: string;
  apiVersion: string;
  subresource?: string;
}

export interface Manager extends Writer {
  operation: Operation;
  time?: string;
  set: FieldSet;
  /** The entry as read from the object: written back unchanged when the set stays the same. */
  entry?: ManagedFieldsEntry;
}

/** Managers by identity (manager, operation, subresource), as upstream keys them. */
export type Managers = Map<string, Manager>;

export const identity = (m: { manager: string; operation: Operation; subresource?: string }) => `${m.operation}\u0000${m.manager}\u0000${m.subresource ?? ''}`;

// Entries read from a stored object are decoded only when a write touches them: most writes
// change fields a few managers own, and the other entries are written back as they were.
const undecoded = new WeakMap<Manager, FieldsV1>();

function lazyManager(base: Omit<Manager, 'set'>, fields: FieldsV1): Manager {
  let set: FieldSet | undefined;
  const m = {
    ...base,
    get set(): FieldSet {
      if (!set) {
        set = fromFieldsV1(fields);
        undecoded.delete(m);
      }
      return set;
    },
  };
  undecoded.set(m, fields);
  return m;
}

/** Whether a manager owns a path, reading its entry as little as possible. */
function owns(m: Manager, path: string): boolean {
  const tree = undecoded.get(m);
  return tree ? treeHas(tree, path) : m.set.has(path);
}

/**
 * Reads metadata.managedFields; throws when an entry isn't one upstream could read. `trusted`
 * entries (the stored object's own) have their field sets read only when needed.
 */
export function decodeManagedFields(entries: unknown, trusted = false): Managers {
  const out: Managers = new Map();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  for (const raw of entries as unknown[]) {
    if (!isPlainObject(raw)) throw new Error('managedFields entries must be objects');
    const e = raw as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error(`unknown operation ${JSON.stringify(e.operation)}`);
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') throw new Error(`unknown fieldsType ${JSON.stringify(e.fieldsType)}`);
    const base = {
      manager: e.manager ?? '',
      operation: e.operation as Operation,
      apiVersion: e.apiVersion ?? '',
      subresource: e.subresource || undefined,
      time: e.time,
      entry: e,
    };
    const fields = (e.fieldsV1 ?? {}) as FieldsV1;
    const m: Manager = trusted && isPlainObject(fields) ? lazyManager(base, fields) : { ...base, set: fromFieldsV1(fields) };
    const id = identity(m);
    const seen = out.get(id);
    // Upstream merges entries that share an identity.
    out.set(id, seen ? { ...m, set: union(seen.set, m.set), entry: undefined } : m);
  }
  return out;
}

/** Writes managers back as metadata.managedFields, ordered as upstream (Apply first, then by time). */
export function encodeManagedFields(managers: Managers): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => (undecoded.has(m) ? Object.keys(undecoded.get(m)!).length > 0 : m.set.size > 0));
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      cmp(p.time ?? '', q.time ?? '') ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  return list.map((m) => m.entry ?? entryOf(m, toFieldsV1(m.set)));
}

/** A manager's entry in metadata.managedFields, its fields written as `fieldsV1`. */
function entryOf(m: Omit<Manager, 'set'>, fieldsV1: FieldsV1): ManagedFieldsEntry {
  return {
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time ? { time: m.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1,
    ...(m.subresource ? { subresource: m.subresource } : {}),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The set without the fields nobody owns (the whole metadata struct, as upstream strips it). */
function stripped(set: FieldSet): FieldSet {
  set.delete('f:metadata');
  return set;
}

function withSet(m: Manager, set: FieldSet): Manager {
  return sameSet(m.set, set) ? m : { ...m, set, entry: undefined };
}

/** Removes from every manager but `except` the fields in `taken`; drops managers left empty. */
function takeFrom(managers: Managers, except: string, taken: FieldSet): void {
  if (taken.size === 0) return;
  for (const [id, m] of managers) {
    if (id === except) continue;
    let touched = false;
    for (const p of taken) if ((touched = owns(m, p))) break;
    if (!touched) continue;
    const rest = difference(m.set, taken);
    if (rest.size === 0) managers.delete(id);
    else if (rest.size !== m.set.size) managers.set(id, withSet(m, rest));
  }
}

/**
 * Ownership after an Update (create, update, patch, subresource writes) that made the changes
 * `c`: the writer owns what it added or changed, in addition to what it owned before; others
 * lose those fields, and everybody loses what was removed.
 */
export function recordUpdate(c: Comparison, managers: Managers, writer: Writer, now: string): Managers {
  if (isSame(c)) return managers;
  const out: Managers = new Map(managers);
  const id = identity({ ...writer, operation: 'Update' });
  const kept = keptTree(c, managers, id);
  if (kept) {
    // The writer's fields stay as they were (only its time and version change), nobody else's change.
    const base = { ...writer, operation: 'Update' as const, time: now };
    out.set(id, lazyManager({ ...base, entry: entryOf(base, kept) }, kept));
    capUpdateManagers(out);
    return out;
  }
  const changed = union(c.added, c.modified);
  takeFrom(out, id, c.removed.size ? union(changed, c.removed) : changed);
  const before = out.get(id);
  // A writer new to the object owns just what it changed: that set, not a copy of it.
  const set = stripped(before ? union(difference(before.set, c.removed), changed) : changed);
  if (set.size === 0) out.delete(id);
  else out.set(id, { ...writer, operation: 'Update', time: now, set });
  capUpdateManagers(out);
  return out;
}

/**
 * The writer's stored tree when an Update leaves every set as it is -- it only changed fields
 * its writer owns already, alone, and removed none (a lease renewed, a heartbeat, a condition
 * flipping) -- and the tree is as toFieldsV1 would write it: then neither is read nor written.
 */
function keptTree(c: Comparison, managers: Managers, id: string): FieldsV1 | undefined {
  if (c.removed.size) return undefined;
  const before = managers.get(id);
  const tree = before && undecoded.get(before);
  if (!tree || !isCanonicalFieldsV1(tree)) return undefined;
  // A member metadata is stripped from every set: a tree with one would be written anew.
  const meta = tree['f:metadata'];
  if (meta !== undefined && (!isPlainObject(meta) || Object.hasOwn(meta, '.') || Object.keys(meta).length === 0)) return undefined;
  for (const changed of [c.added, c.modified]) for (const p of changed) if (!treeHas(tree, p)) return undefined;
  for (const [mid, m] of managers) {
    if (mid === id) continue;
    for (const changed of [c.added, c.modified]) for (const p of changed) if (owns(m, p)) return undefined;
  }
  return tree;
}

/** Upstream's cap on Update entries; the oldest are merged into one `ancient-changes` entry. */
export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT = 'ancient-changes';

function capUpdateManagers(managers: Managers): void {
  const updaters = [...managers].filter(([, m]) => m.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(([, a], [, b]) => cmp(a.time ?? '', b.time ?? ''));
  for (let i = 0, left = updaters.length; left > MAX_UPDATE_MANAGERS && i < updaters.length; i++) {
    const [id, m] = updaters[i]!;
    const bucketId = identity({ manager: ANCIENT, operation: 'Update' });
    if (id === bucketId) continue;
    const bucket = managers.get(bucketId);
    managers.delete(id);
    managers.set(bucketId, { manager: ANCIENT, operation: 'Update', apiVersion: m.apiVersion, time: m.time, set: bucket ? union(bucket.set, m.set) : m.set });
    if (bucket) left--;
  }
}

export interface Conflict {
  manager: Manager;
  path: string;
}

export class ApplyConflictError extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(`Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}`);
  }
}

/**
 * An Apply: the configuration merged into the live object, the fields its manager applied last
 * time and not now removed unless someone else owns them, and the manager owning exactly the
 * configuration's fields. Fields other managers own and the apply changes are conflicts
 * (ApplyConflictError) unless `force`, which takes them over.
 */
export function applyConfiguration(
  t: TypeNode,
  live: unknown,
  config: unknown,
  managers: Managers,
  writer: Writer,
  force: boolean,
  now: string,
): { obj: unknown; managers: Managers } {
  const id = identity({ ...writer, operation: 'Apply' });
  let merged = merge(t, live, config);
  const set = stripped(toFieldSet(t, config, true));
  const last = managers.get(id);
  const out: Managers = new Map(managers);
  out.set(id, last ? withSet(last, set) : { ...writer, operation: 'Apply', time: now, set });
  if (last && last.set.size) merged = prune(t, merged, out, last.set);
  const c = compare(t, live, merged);
  const changed = union(c.added, c.modified);
  const conflicts: Conflict[] = [];
  const conflicting = new Map<string, FieldSet>();
  for (const [mid, m] of out) {
    if (mid === id) continue;
    const mine = intersection(m.set, changed);
    if (mine.size === 0) continue;
    conflicting.set(mid, mine);
    for (const path of [...mine].sort(comparePaths)) conflicts.push({ manager: m, path });
  }
  if (conflicts.length && !force) throw new ApplyConflictError(conflicts);
  for (const [mid, taken] of conflicting) {
    const m = out.get(mid)!;
    const rest = difference(m.set, taken);
    if (rest.size === 0) out.delete(mid);
    else out.set(mid, withSet(m, rest));
  }
  takeFrom(out, id, c.removed);
  if (!isSame(c) || !last) {
    const mine = out.get(id)!;
    out.set(id, { ...mine, time: now, entry: undefined });
  }
  return { obj: merged, managers: out };
}

/** Removes what `last` had and nobody (the applier now included) owns any more. */
function prune(t: TypeNode, merged: unknown, managers: Managers, last: FieldSet): unknown {
  const owned = withNamedFields(t, union(...[...managers.values()].map((m) => m.set)));
  const gone = difference(withNamedFields(t, last), owned);
  return removeItems(t, merged, gone);
}
