// URL paths of resources: /api/v1/... for the core group, /apis/GROUP/VERSION/... otherwise.

/** Which resource: group ("" for core), version, plural resource name. */
export interface GroupVersionResource {
  group?: string;
  version: string;
  resource: string;
}

/** A collection (name absent) or one object, optionally a subresource of it. */
export interface ResourceRef extends GroupVersionResource {
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A named object: the ref for get, patch and delete. */
export type NamedRef = ResourceRef & { name: string };

export function resourcePath(ref: ResourceRef): string {
  const group = ref.group ?? '';
  let p = group ? `/apis/${group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespace) p += `/namespaces/${encodeURIComponent(ref.namespace)}`;
  p += `/${ref.resource}`;
  if (ref.name !== undefined) {
    if (ref.name === '') throw new Error(`resourcePath: empty name for ${ref.resource}`);
    p += `/${encodeURIComponent(ref.name)}`;
    if (ref.subresource) p += `/${ref.subresource}`;
  } else if (ref.subresource) {
    throw new Error(`resourcePath: subresource ${ref.subresource} needs a name`);
  }
  return p;
}

/** The resources Berth's own components use, so callers don't spell group/version each time. */
export const resources = {
  namespaces: { group: '', version: 'v1', resource: 'namespaces' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  pods: { group: '', version: 'v1', resource: 'pods' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  secrets: { group: '', version: 'v1', resource: 'secrets' },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts' },
  persistentvolumes: { group: '', version: 'v1', resource: 'persistentvolumes' },
  persistentvolumeclaims: { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
  storageclasses: { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' },
  csinodes: { group: 'storage.k8s.io', version: 'v1', resource: 'csinodes' },
  csidrivers: { group: 'storage.k8s.io', version: 'v1', resource: 'csidrivers' },
  events: { group: '', version: 'v1', resource: 'events' },
  replicationcontrollers: { group: '', version: 'v1', resource: 'replicationcontrollers' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  daemonsets: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  statefulsets: { group: 'apps', version: 'v1', resource: 'statefulsets' },
  controllerrevisions: { group: 'apps', version: 'v1', resource: 'controllerrevisions' },
  jobs: { group: 'batch', version: 'v1', resource: 'jobs' },
  cronjobs: { group: 'batch', version: 'v1', resource: 'cronjobs' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  priorityclasses: { group: 'scheduling.k8s.io', version: 'v1', resource: 'priorityclasses' },
  certificatesigningrequests: { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' },
  services: { group: '', version: 'v1', resource: 'services' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
  poddisruptionbudgets: { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' },
} as const satisfies Record<string, GroupVersionResource>;
