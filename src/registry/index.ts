// The served kinds, one line each, in discovery order (core first). Each kind is a folder beside
// this file declaring its KindDef (kind.ts); the API server's handlers are generic and look up
// here what differs between kinds. Adding a kind: see README.md.
import { resourceTypeOf, type KindDef, type ResourceType } from './kind.js';
import { namespaces } from './namespaces/index.js';
import { pods } from './pods/index.js';
import { nodes } from './nodes/index.js';
import { events, eventsK8sIo } from './events/index.js';
import { configmaps } from './configmaps/index.js';
import { secrets } from './secrets/index.js';
import { serviceaccounts } from './serviceaccounts/index.js';
import { persistentvolumes } from './persistentvolumes/index.js';
import { persistentvolumeclaims } from './persistentvolumeclaims/index.js';
import { storageclasses } from './storageclasses/index.js';
import { csinodes } from './csinodes/index.js';
import { csidrivers } from './csidrivers/index.js';
import { replicationcontrollers } from './replicationcontrollers/index.js';
import { replicasets } from './replicasets/index.js';
import { deployments } from './deployments/index.js';
import { daemonsets } from './daemonsets/index.js';
import { statefulsets } from './statefulsets/index.js';
import { controllerrevisions } from './controllerrevisions/index.js';
import { leases } from './leases/index.js';
import { priorityclasses } from './priorityclasses/index.js';
import { certificatesigningrequests } from './certificatesigningrequests/index.js';
import { services } from './services/index.js';
import { endpoints } from './endpoints/index.js';
import { endpointslices } from './endpointslices/index.js';
import { clusterrolebindings } from './clusterrolebindings/index.js';
import { clusterroles } from './clusterroles/index.js';
import { rolebindings } from './rolebindings/index.js';
import { roles } from './roles/index.js';
import { localsubjectaccessreviews } from './localsubjectaccessreviews/index.js';
import { selfsubjectaccessreviews } from './selfsubjectaccessreviews/index.js';
import { selfsubjectrulesreviews } from './selfsubjectrulesreviews/index.js';
import { subjectaccessreviews } from './subjectaccessreviews/index.js';
import { selfsubjectreviews } from './selfsubjectreviews/index.js';
import { jobs } from './jobs/index.js';
import { cronjobs } from './cronjobs/index.js';
import { poddisruptionbudgets } from './poddisruptionbudgets/index.js';
import { limitranges } from './limitranges/index.js';
import { resourcequotas } from './resourcequotas/index.js';

export { fieldValue, type KindDef, type ResourceType, type SubresourceDef } from './kind.js';

const kinds: KindDef[] = [
  namespaces,
  pods,
  nodes,
  events,
  configmaps,
  secrets,
  serviceaccounts,
  persistentvolumes,
  persistentvolumeclaims,
  replicationcontrollers,
  eventsK8sIo,
  replicasets,
  deployments,
  daemonsets,
  statefulsets,
  controllerrevisions,
  leases,
  priorityclasses,
  certificatesigningrequests,
  services,
  endpoints,
  endpointslices,
  clusterrolebindings,
  clusterroles,
  rolebindings,
  roles,
  localsubjectaccessreviews,
  selfsubjectaccessreviews,
  selfsubjectrulesreviews,
  subjectaccessreviews,
  selfsubjectreviews,
  jobs,
  cronjobs,
  poddisruptionbudgets,
  storageclasses,
  csinodes,
  csidrivers,
  limitranges,
  resourcequotas,
];

export const resources: ResourceType[] = kinds.map(resourceTypeOf);

const byPath = new Map(resources.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));
const byKey = new Map(resources.map((r) => [r.key, r]));

export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return byPath.get(`${group}/${version}/${plural}`);
}

export function resourceByKey(key: string): ResourceType {
  const r = byKey.get(key);
  if (!r) throw new Error(`unknown resource ${key}`);
  return r;
}

/** Group versions served, in discovery order (core first). */
export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of resources) seen.set(r.apiVersion, { group: r.group, version: r.version });
  // Subresources speaking other groups (autoscaling/v1 Scale, policy/v1 Eviction) are served
  // under their parent's group; upstream lists those groups too, so kubectl finds the kinds.
  return [...seen.values()];
}
