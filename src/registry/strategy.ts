// What differs between kinds when objects are written, as upstream's per-resource strategies
// (pkg/registry/core/pod/strategy.go: PrepareForCreate, PrepareForUpdate, ...). RestStorage
// runs the generic steps and asks the kind's strategy at each point where a kind may differ;
// a kind without a strategy behaves as the generic store does.
import type { DeleteOptions } from 'kubernetes-types/meta/v1';
import type { KObject } from '../api/object.js';
import type { AdmissionLookups } from '../apiserver/admission.js';
import type { Store } from '../storage/store.js';
import type { ServiceNetwork } from './services/network.js';
import type { UserInfo } from '../apiserver/authn.js';
import type { RequestIdentity } from '../apiserver/authn/request-user.js';

/** Which part of an object an update may change: all but status, status, or a subresource's part. */
export type Subresource = '' | 'status' | 'finalize' | 'binding' | 'approval';

/** What a write's hooks may use beyond the object: the store, and the cluster's configuration. */
export interface WriteEnv {
  store: Store;
  serviceNetwork: ServiceNetwork;
}

/**
 * Ends what a begin hook started, told whether the object was stored: undoes what the hook
 * reserved if not, finishes (releases what the write dropped) if so. Upstream's transaction of
 * BeginCreate/BeginUpdate.
 */
export type FinishWrite = (stored: boolean) => Promise<void>;

export interface Strategy {
  /** Status written by the creator is kept on create (nodes report their own); otherwise dropped. */
  keepsStatusOnCreate?: boolean;
  /** After defaulting and mutating admission: what the system sets on a new object (user: who creates it). */
  prepareForCreate?(obj: KObject, lookups: AdmissionLookups, user?: UserInfo): void;
  /**
   * What a write through `subresource` makes of the stored object, instead of the generic
   * status/spec split; undefined leaves the generic split.
   */
  resetFields?(wanted: KObject, current: KObject, subresource: Subresource): KObject | undefined;
  /** After the split, before defaulting: what an update may not change. */
  prepareForUpdate?(next: KObject, current: KObject, subresource: Subresource): void;
  /** An object that must stay although its finalizers are gone (a namespace's own finalizers). */
  holdsDeletion?(obj: KObject): boolean;
  /** Refuses a delete before anything is read (namespaces that may not go). */
  validateDelete?(name: string): void;
  /**
   * Upstream's BeforeDelete for the kind: returns true when the object stays, marked for
   * deletion, until something finishes it (a namespace's content).
   */
  markForDeletion?(obj: KObject, options: DeleteOptions): boolean;
  /**
   * After validation, before the object is stored: reserves what lives outside the object (a
   * Service's cluster IP and node ports) and may fill the object in with it. A dry run checks
   * and fills in without reserving. `requester` is who asks and what judges them (absent for the
   * server's own writes): the RBAC kinds check what it may grant.
   */
  beginCreate?(obj: KObject, env: WriteEnv, dryRun: boolean, requester?: RequestIdentity): Promise<FinishWrite | undefined>;
  /** As beginCreate, for an update (called again on each compare-and-swap attempt). */
  beginUpdate?(
    next: KObject,
    current: KObject,
    subresource: Subresource,
    env: WriteEnv,
    dryRun: boolean,
    requester?: RequestIdentity,
  ): Promise<FinishWrite | undefined>;
  /** After the object is gone from the store: releases what it held. */
  afterDelete?(obj: KObject, env: WriteEnv): Promise<void>;
  /** Seconds a graceful delete waits (pods); 0 deletes at once. */
  gracePeriod?(obj: KObject, options: DeleteOptions): number;
}
