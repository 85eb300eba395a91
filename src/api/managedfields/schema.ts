// The shape of the served types as structured-merge-diff sees them: structs (fields known by
// name), maps (granular by key, or atomic), lists (atomic, sets of scalars, or maps keyed by
// x-kubernetes-list-map-keys) and scalars. Built lazily from schema/generated.json and cached,
// so that walking an object on every write costs no allocation per field.
import generated from '../schema/generated.json' with { type: 'json' };
import { fieldStrategies } from '../patch/merge-keys.js';

type T = string | { ref: string } | { array: T } | { map: T };
const types = generated.types as unknown as Record<string, { properties: Record<string, { type: T }> }>;

export type ListType = 'atomic' | 'set' | 'map';

export interface TypeNode {
  readonly kind: 'scalar' | 'struct' | 'map' | 'list' | 'any';
  /** Replaced whole by apply and owned as one field (x-kubernetes-map-type/list-type atomic). */
  readonly atomic: boolean;
  /** struct: the type id in generated.json. */
  readonly id?: string;
  /** map and list: the element type. */
  readonly elem?: TypeNode;
  readonly listType?: ListType;
  /** list-type map: the key fields (x-kubernetes-list-map-keys). */
  readonly keys?: readonly string[];
  /** list-type map: defaults of key fields an item may omit (upstream's schema defaults). */
  readonly keyDefaults?: Readonly<Record<string, unknown>>;
}

// Upstream's list-map keys where they are more than the patch merge key (OpenAPI
// x-kubernetes-list-map-keys of the built-in types).
const MULTI_KEYS: Record<string, Record<string, { keys: string[]; defaults?: Record<string, unknown> }>> = {
  'core/v1.Container': { ports: { keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } },
  'core/v1.EphemeralContainer': { ports: { keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } } },
  'core/v1.PodSpec': { topologySpreadConstraints: { keys: ['topologyKey', 'whenUnsatisfiable'] } },
  // TCP and UDP of one port number (DNS) are two entries.
  'core/v1.ServiceSpec': { ports: { keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } } },
};

// Structs upstream marks x-kubernetes-map-type: atomic (structType=atomic): references and
// selectors, owned and replaced as a whole.
const ATOMIC_STRUCTS = new Set([
  'meta/v1.LabelSelector',
  'core/v1.LocalObjectReference',
  'core/v1.ObjectReference',
  'core/v1.TypedLocalObjectReference',
  'core/v1.TypedObjectReference',
  'core/v1.ConfigMapKeySelector',
  'core/v1.SecretKeySelector',
  'core/v1.ObjectFieldSelector',
  'core/v1.ResourceFieldSelector',
  'core/v1.ConfigMapEnvSource',
  'core/v1.SecretEnvSource',
  'core/v1.NodeSelector',
  'core/v1.NodeSelectorTerm',
]);

export const SCALAR: TypeNode = { kind: 'scalar', atomic: true };
/** A type the schema doesn't describe: objects are granular maps, lists atomic (SMD's deduced type). */
export const ANY: TypeNode = { kind: 'any', atomic: false };

const structs = new Map<string, TypeNode>();
const fieldCache = new Map<string, Map<string, TypeNode>>();

function structNode(id: string): TypeNode {
  let n = structs.get(id);
  if (!n) {
    n = { kind: 'struct', id, atomic: ATOMIC_STRUCTS.has(id) };
    structs.set(id, n);
  }
  return n;
}

function fromT(t: T, owner?: string, field?: string): TypeNode {
  if (typeof t === 'string') return t === 'any' ? ANY : SCALAR;
  if ('ref' in t) return structNode(t.ref);
  if ('map' in t) return { kind: 'map', atomic: false, elem: fromT(t.map) };
  const elem = fromT(t.array);
  const multi = owner && field ? MULTI_KEYS[owner]?.[field] : undefined;
  if (multi) return { kind: 'list', atomic: false, elem, listType: 'map', keys: multi.keys, keyDefaults: multi.defaults ?? {} };
  const st = owner && field ? fieldStrategies[owner]?.[field] : undefined;
  // As upstream for built-in types: a patch merge key makes a list-map keyed by it, merging
  // scalars makes a set, everything else is atomic.
  if (st?.mergeKey) return { kind: 'list', atomic: false, elem, listType: 'map', keys: [st.mergeKey], keyDefaults: {} };
  if (st?.strategy?.includes('merge') && elem.kind === 'scalar') return { kind: 'list', atomic: false, elem, listType: 'set' };
  return { kind: 'list', atomic: true, elem, listType: 'atomic' };
}

/** The type of field `name` of a struct, or undefined when the struct has no such field. */
export function fieldType(struct: TypeNode, name: string): TypeNode | undefined {
  const id = struct.id!;
  let fields = fieldCache.get(id);
  if (!fields) {
    fields = new Map();
    fieldCache.set(id, fields);
  }
  let n = fields.get(name);
  if (!n) {
    const prop = types[id]?.properties[name];
    if (!prop) return undefined;
    n = fromT(prop.type, id, name);
    fields.set(name, n);
  }
  return n;
}

/** The type of a child of a struct or map by key; ANY where the schema says nothing. */
export function childType(t: TypeNode, key: string): TypeNode {
  if (t.kind === 'struct') return fieldType(t, key) ?? ANY;
  if (t.kind === 'map') return t.elem!;
  return ANY;
}

// Root types by apiVersion and kind: looked up on every write.
const roots = new Map<string, Map<string, TypeNode>>();

/** The root type of a kind, e.g. apps/v1 Deployment; ANY for kinds the schema doesn't have. */
export function rootType(apiVersion: string, kind: string): TypeNode {
  let byKind = roots.get(apiVersion);
  let t = byKind?.get(kind);
  if (t) return t;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const id = `${group!.split('.')[0] || 'core'}/${version}.${kind}`;
  t = Object.hasOwn(types, id) ? structNode(id) : ANY;
  // Only kinds the schema has are remembered: the others are few, and bodies choose them.
  if (t !== ANY) {
    if (!byKind) roots.set(apiVersion, (byKind = new Map()));
    byKind.set(kind, t);
  }
  return t;
}
