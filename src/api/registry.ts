// The resource registry: everything Berth knows about each kind. The API server's handlers are
// generic; what differs between kinds (scope, verbs, subresources, printing, defaulting,
// validation, field selectors, write strategy) is looked up here. A kind that needs code has a
// folder under src/registry/ declaring it (a KindDef) and one line in `defs`; the others are data here.
import type { KObject } from './object.js';
import { resourceKey, type Defaulter, type Printer, type Validator } from './resource.js';
import { ALL_VERBS, path, SCALE, STATUS, type KindDef, type SubresourceDef } from './kind.js';
import type { Strategy } from '../registry/strategy.js';
import { namespaces } from '../registry/namespaces/index.js';
import { pods } from '../registry/pods/index.js';
import { certificatesigningrequests } from '../registry/certificatesigningrequests/index.js';
import { services } from '../registry/services/index.js';
import { endpoints } from '../registry/endpoints/index.js';
import { endpointslices } from '../registry/endpointslices/index.js';
import { defaultPrinter, printers } from './printers/index.js';
import { defaulters } from './defaults/index.js';
import { validators } from './validation/index.js';

export type { SubresourceDef };

export interface ResourceType {
  key: string;
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceDef[];
  /** The main resource ignores status, the status subresource ignores everything else. */
  hasStatus: boolean;
  /** metadata.generation starts at 1 and increments on spec changes. */
  hasGeneration: boolean;
  /** PUT creates a missing object (upstream AllowCreateOnUpdate). */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the deleted object rather than a Success Status. */
  returnDeletedObject: boolean;
  /** Field selectors this kind supports beyond metadata.name and metadata.namespace. */
  fieldLabels: Record<string, (o: KObject) => string | undefined>;
  printer: Printer;
  defaulter?: Defaulter;
  validator?: Validator;
  /** How writes of this kind differ from the generic store's (src/registry/strategy.ts). */
  strategy: Strategy;
  /** Built-in: hidden from nothing, but kept in the table to let the server know. */
  apiVersion: string;
}

const defs: KindDef[] = [
  namespaces,
  pods,
  {
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    subresources: [STATUS],
    hasStatus: true,
    // Nodes report their own status when they register.
    strategy: { keepsStatusOnCreate: true },
    fieldLabels: { 'spec.unschedulable': (o) => String((o.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false) },
  },
  {
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    allowCreateOnUpdate: true,
    fieldLabels: {
      'involvedObject.kind': path('involvedObject', 'kind'),
      'involvedObject.namespace': path('involvedObject', 'namespace'),
      'involvedObject.name': path('involvedObject', 'name'),
      'involvedObject.uid': path('involvedObject', 'uid'),
      'involvedObject.apiVersion': path('involvedObject', 'apiVersion'),
      'involvedObject.resourceVersion': path('involvedObject', 'resourceVersion'),
      'involvedObject.fieldPath': path('involvedObject', 'fieldPath'),
      reason: path('reason'),
      reportingComponent: path('reportingComponent'),
      source: path('source', 'component'),
      type: path('type'),
    },
  },
  { kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { kind: 'Secret', plural: 'secrets', namespaced: true, fieldLabels: { type: path('type') } },
  { kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'] },
  {
    group: 'events.k8s.io',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    allowCreateOnUpdate: true,
    fieldLabels: {
      'regarding.kind': path('regarding', 'kind'),
      'regarding.namespace': path('regarding', 'namespace'),
      'regarding.name': path('regarding', 'name'),
      'regarding.uid': path('regarding', 'uid'),
      reason: path('reason'),
      reportingController: path('reportingController'),
      type: path('type'),
    },
  },
  {
    group: 'apps',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [STATUS, SCALE],
    hasStatus: true,
    hasGeneration: true,
    fieldLabels: { 'status.replicas': path('status', 'replicas') },
  },
  {
    group: 'apps',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [STATUS, SCALE],
    hasStatus: true,
    hasGeneration: true,
  },
  { group: 'coordination.k8s.io', kind: 'Lease', plural: 'leases', namespaced: true, allowCreateOnUpdate: true },
  { group: 'scheduling.k8s.io', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] },
  certificatesigningrequests,
  services,
  endpoints,
  endpointslices,
];

function build(d: KindDef): ResourceType {
  const group = d.group ?? '';
  const version = d.version ?? 'v1';
  const key = resourceKey(d.plural, group);
  return {
    key,
    group,
    version,
    apiVersion: group ? `${group}/${version}` : version,
    kind: d.kind,
    listKind: `${d.kind}List`,
    plural: d.plural,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    verbs: d.verbs ?? ALL_VERBS,
    subresources: d.subresources ?? [],
    hasStatus: d.hasStatus ?? false,
    hasGeneration: d.hasGeneration ?? false,
    allowCreateOnUpdate: d.allowCreateOnUpdate ?? false,
    returnDeletedObject: d.returnDeletedObject ?? false,
    fieldLabels: d.fieldLabels ?? {},
    printer: d.printer ?? printers[key] ?? defaultPrinter,
    defaulter: d.defaulter ?? defaulters[key],
    validator: d.validator ?? validators[key],
    strategy: d.strategy ?? {},
  };
}

export const resources: ResourceType[] = defs.map(build);

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

/** The value of a field selector's field on an object, as upstream's per-kind field sets. */
export function fieldValue(r: ResourceType, obj: KObject, field: string): string | undefined {
  if (field === 'metadata.name') return obj.metadata?.name ?? '';
  if (field === 'metadata.namespace') return r.namespaced ? (obj.metadata?.namespace ?? '') : '';
  const get = r.fieldLabels[field];
  return get ? (get(obj) ?? '') : undefined;
}
