// What an admission plugin sees and what it is, as upstream's k8s.io/apiserver/pkg/admission
// (Attributes, MutationInterface, ValidationInterface).
import type { KObject } from '../../api/object.js';
import type { ResourceType } from '../../registry/index.js';
import type { WriteEnv } from '../../registry/strategy.js';
import type { UserInfo } from '../authn.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** The objects admission may read: the watch caches (and, while they lag, the store). */
export interface AdmissionLookups {
  getNamespace(name: string): KObject | undefined;
  listPriorityClasses(): KObject[];
  /** The StorageClasses, for DefaultStorageClass (optional: lookups of tests that need none). */
  listStorageClasses?(): KObject[];
  /** One object by resource key (`pods`, `priorityclasses.scheduling.k8s.io`), namespace and name. */
  get(resourceKey: string, namespace: string | undefined, name: string): KObject | undefined;
  /** The objects of a resource, in one namespace or (undefined) all. */
  list(resourceKey: string, namespace?: string): KObject[];
}

export interface AdmissionAttributes {
  operation: Operation;
  /** The resource written (its kind, plural and group; upstream's GetKind and GetResource). */
  resource: ResourceType;
  /** '' for the object itself; `status`, `binding`, `exec`, ... */
  subresource: string;
  namespace: string | undefined;
  name: string;
  /** The object as it will be stored (CREATE, UPDATE); mutating plugins change it in place. */
  object: KObject | undefined;
  /** The stored object (UPDATE, DELETE). */
  oldObject: KObject | undefined;
  user: UserInfo;
  dryRun: boolean;
  lookups: AdmissionLookups;
  /** The store and cluster configuration, for plugins that write (ResourceQuota charges usage). */
  env: WriteEnv;
  /** Adds a warning to the response (a `Warning: 299` header). */
  warn(message: string): void;
}

/**
 * An admission plugin: one module under plugins/, one line in the chain's list. `admit` may
 * change attrs.object (mutating phase, run before the object is validated); `validate` may
 * only refuse (validating phase, after validation). Either refuses by throwing an ApiError.
 */
export interface AdmissionPlugin {
  /** Upstream's plugin name (`NamespaceLifecycle`, `LimitRanger`, ...). */
  readonly name: string;
  /** Whether the plugin has anything to do with this request; cheap, called on every write. */
  handles(a: AdmissionAttributes): boolean;
  admit?(a: AdmissionAttributes): void | Promise<void>;
  validate?(a: AdmissionAttributes): void | Promise<void>;
  /**
   * Objects (resource key, namespace, name) the plugin will look up for this request, so that
   * over a lagging watch cache they are read from the store first.
   */
  lookupsFor?(a: AdmissionAttributes): Array<[key: string, namespace: string | undefined, name: string]>;
}
