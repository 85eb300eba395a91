// Patch strategies and merge keys of the built-in types (the `patchStrategy`/`patchMergeKey`
// struct tags upstream), as data: strategic merge patch and server-side apply both consult it.
// Lists not named here are atomic (replaced whole), as upstream.

export interface ListStrategy {
  strategy?: 'merge' | 'retainKeys' | 'merge,retainKeys';
  mergeKey?: string;
}

type Table = Record<string, ListStrategy>;

const objectMeta: Table = {
  finalizers: { strategy: 'merge' },
  ownerReferences: { strategy: 'merge', mergeKey: 'uid' },
};

const container: Table = {
  ports: { strategy: 'merge', mergeKey: 'containerPort' },
  env: { strategy: 'merge', mergeKey: 'name' },
  volumeMounts: { strategy: 'merge', mergeKey: 'mountPath' },
  volumeDevices: { strategy: 'merge', mergeKey: 'devicePath' },
};

const podSpec: Table = {
  containers: { strategy: 'merge', mergeKey: 'name' },
  initContainers: { strategy: 'merge', mergeKey: 'name' },
  ephemeralContainers: { strategy: 'merge', mergeKey: 'name' },
  volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  imagePullSecrets: { strategy: 'merge', mergeKey: 'name' },
  hostAliases: { strategy: 'merge', mergeKey: 'ip' },
  topologySpreadConstraints: { strategy: 'merge', mergeKey: 'topologyKey' },
  resourceClaims: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  schedulingGates: { strategy: 'merge', mergeKey: 'name' },
};

const conditions: Table = { conditions: { strategy: 'merge', mergeKey: 'type' } };

/** Tables for the nested objects that are not lists, keyed by field path below the kind. */
function tableFor(kind: string, path: string[]): Table | undefined {
  const [first, ...rest] = path;
  if (first === 'metadata' && rest.length === 0) return objectMeta;
  const podSpecAt = (p: string[]): Table | undefined => {
    if (p.length === 0) return podSpec;
    if ((p[0] === 'containers' || p[0] === 'initContainers' || p[0] === 'ephemeralContainers') && p.length === 1) return container;
    return undefined;
  };
  switch (kind) {
    case 'Pod':
      if (first === 'spec') return podSpecAt(rest);
      if (first === 'status' && rest.length === 0)
        return { ...conditions, podIPs: { strategy: 'merge', mergeKey: 'ip' }, hostIPs: { strategy: 'merge', mergeKey: 'ip' } };
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job':
      if (first === 'spec' && rest[0] === 'template') {
        if (rest.length === 2 && rest[1] === 'metadata') return objectMeta;
        if (rest[1] === 'spec') return podSpecAt(rest.slice(2));
      }
      if (first === 'status' && rest.length === 0) return conditions;
      break;
    case 'Node':
      if (first === 'status' && rest.length === 0) return { ...conditions, addresses: { strategy: 'merge', mergeKey: 'type' } };
      if (first === 'spec' && rest.length === 0) return { podCIDRs: { strategy: 'merge' } };
      break;
    case 'Namespace':
      if (first === 'status' && rest.length === 0) return conditions;
      break;
  }
  return undefined;
}

/** The strategy of the list at `path` (field names only, no indices) in an object of `kind`. */
export function strategyAt(kind: string, path: string[]): ListStrategy {
  if (path.length === 0) return {};
  const table = tableFor(kind, path.slice(0, -1));
  return table?.[path[path.length - 1]!] ?? {};
}
