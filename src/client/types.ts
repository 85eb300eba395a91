// The shapes every client piece shares: any object with metadata, lists, watch events.
import type { ListMeta, ObjectMeta } from 'kubernetes-types/meta/v1';

/** Any Kubernetes object; kubernetes-types' Pod, Node, ConfigMap... all fit. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: ListMeta;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One line of a watch stream. For ERROR the object is a Status; for BOOKMARK only metadata.resourceVersion is meaningful. */
export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** kubernetes-types marks server-set fields readonly; clients that build objects need them writable. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
