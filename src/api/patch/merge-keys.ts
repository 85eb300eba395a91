// Patch strategies and merge keys of the built-in types (upstream's `patchStrategy` and
// `patchMergeKey` struct tags), keyed by type and field. Strategic merge patch, server-side
// apply and the OpenAPI documents kubectl reads all take them from here. Lists not named here
// are atomic (replaced whole), as upstream.
import generated from '../schema/generated.json' with { type: 'json' };

export interface ListStrategy {
  strategy?: 'merge' | 'retainKeys' | 'merge,retainKeys';
  mergeKey?: string;
}

const merge = (mergeKey?: string): ListStrategy => (mergeKey ? { strategy: 'merge', mergeKey } : { strategy: 'merge' });
const conditions = { conditions: merge('type') };
const container = { ports: merge('containerPort'), env: merge('name'), volumeMounts: merge('mountPath'), volumeDevices: merge('devicePath') };

/** Type id (as in schema/generated.json) -> field -> strategy. */
export const fieldStrategies: Record<string, Record<string, ListStrategy>> = {
  'meta/v1.ObjectMeta': { finalizers: merge(), ownerReferences: merge('uid') },
  'core/v1.PodSpec': {
    containers: merge('name'),
    initContainers: merge('name'),
    ephemeralContainers: merge('name'),
    volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    imagePullSecrets: merge('name'),
    hostAliases: merge('ip'),
    topologySpreadConstraints: merge('topologyKey'),
    resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
    schedulingGates: merge('name'),
  },
  'core/v1.Container': container,
  'core/v1.EphemeralContainer': container,
  'core/v1.PodStatus': { ...conditions, podIPs: merge('ip'), hostIPs: merge('ip') },
  'core/v1.NodeSpec': { podCIDRs: merge() },
  'core/v1.NodeStatus': { ...conditions, addresses: merge('type') },
  'core/v1.NamespaceStatus': conditions,
  'core/v1.PersistentVolumeClaimStatus': conditions,
  'core/v1.ServiceAccount': { secrets: merge('name') },
  // Upstream's ServiceSpec.ports: patchMergeKey "port" (its listMapKeys port+protocol are SSA's).
  'core/v1.ServiceSpec': { ports: merge('port') },
  'core/v1.ServiceStatus': conditions,
  'apps/v1.DeploymentSpec': { strategy: { strategy: 'retainKeys' } },
  'apps/v1.DeploymentStatus': conditions,
  'apps/v1.DaemonSetStatus': conditions,
  'core/v1.ReplicationControllerStatus': conditions,
  'apps/v1.ReplicaSetStatus': conditions,
  'batch/v1.JobStatus': conditions,
  'policy/v1.PodDisruptionBudgetStatus': conditions,
  'storage/v1.CSINodeSpec': { drivers: merge('name') },
};

type T = string | { ref: string } | { array: T } | { map: T };
const types = generated.types as unknown as Record<string, { properties: Record<string, { type: T }> }>;

function rootOf(kind: string): string | undefined {
  return generated.roots.find((r) => r.endsWith(`.${kind}`));
}

/** The type id reached by following field names from a type (lists and maps are looked through). */
function typeAt(id: string, path: string[]): string | undefined {
  let cur: string | undefined = id;
  for (const field of path) {
    if (!cur) return undefined;
    let t: T | undefined = types[cur]?.properties[field]?.type;
    while (t && typeof t === 'object' && !('ref' in t)) t = 'array' in t ? t.array : t.map;
    cur = t && typeof t === 'object' && 'ref' in t ? t.ref : undefined;
  }
  return cur;
}

/** The strategy of the field at `path` (field names only, no indices) in an object of `kind`. */
export function strategyAt(kind: string, path: string[]): ListStrategy {
  const root = rootOf(kind);
  if (!root || path.length === 0) return {};
  const parent = typeAt(root, path.slice(0, -1));
  return (parent && fieldStrategies[parent]?.[path[path.length - 1]!]) || {};
}
