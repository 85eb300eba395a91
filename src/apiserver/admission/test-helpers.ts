// For the plugins' unit tests: lookups over a fixed set of objects, and the attributes of a request.
import type { KObject } from '../../api/object.js';
import { resources, resourceByKey } from '../../registry/index.js';
import type { WriteEnv } from '../../registry/strategy.js';
import { ADMIN, type UserInfo } from '../authn.js';
import type { AdmissionAttributes, AdmissionLookups, Operation } from './types.js';

/** The resource key of an object, from its apiVersion and kind. */
function keyOf(o: KObject): string {
  const av = o.apiVersion ?? 'v1';
  const group = av.includes('/') ? av.split('/')[0] : '';
  const r = resources.find((x) => x.kind === o.kind && x.group === group);
  if (!r) throw new Error(`no resource for ${o.apiVersion} ${o.kind}`);
  return r.key;
}

/** Lookups answering from `objects` (a mutable array: tests may add to it). */
export function fixedLookups(objects: KObject[] = []): AdmissionLookups {
  const list = (key: string, namespace?: string) => objects.filter((o) => keyOf(o) === key && (namespace === undefined || o.metadata.namespace === namespace));
  return {
    list,
    get: (key, namespace, name) => list(key, namespace).find((o) => o.metadata.name === name),
    getNamespace: (name) => list('namespaces').find((o) => o.metadata.name === name),
    listPriorityClasses: () => list('priorityclasses.scheduling.k8s.io'),
  };
}

export interface TestRequest {
  operation?: Operation;
  subresource?: string;
  object?: KObject;
  oldObject?: KObject;
  user?: UserInfo;
  dryRun?: boolean;
  lookups?: AdmissionLookups;
  env?: WriteEnv;
  warnings?: string[];
}

/** The attributes of a request on resource `key` (CREATE of `object` unless told). */
export function attributes(key: string, req: TestRequest): AdmissionAttributes {
  const r = resourceByKey(key);
  const meta = (req.object ?? req.oldObject)!.metadata;
  return {
    operation: req.operation ?? 'CREATE',
    resource: r,
    subresource: req.subresource ?? '',
    namespace: r.namespaced ? meta.namespace : undefined,
    name: meta.name ?? '',
    object: req.object,
    oldObject: req.oldObject,
    user: req.user ?? ADMIN,
    dryRun: !!req.dryRun,
    lookups: req.lookups ?? fixedLookups(),
    env: req.env ?? ({} as WriteEnv),
    warn: (m) => req.warnings?.push(m),
  };
}
