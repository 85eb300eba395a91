// The scale subresource: the object seen as an autoscaling/v1 Scale (deployments, replicasets).
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { clone, type KObject } from '../../api/object.js';
import { labelSelectorAsString } from '../../api/labels.js';
import { invalid as invalidField } from '../../api/field-errors.js';
import { invalid } from '../errors.js';
import type { SubresourceRest } from './rest.js';

export const SCALE_KIND = { apiVersion: 'autoscaling/v1', kind: 'Scale' } as const;

/**
 * The selector as a string: a LabelSelector (apps/v1) or a plain label map (the legacy
 * ReplicationController, whose values are strings where a LabelSelector's are not).
 */
function selectorString(selector: LabelSelector | Record<string, string> | undefined): string {
  if (!selector) return '';
  const isMap = Object.values(selector).every((v) => typeof v === 'string');
  if (!isMap) return labelSelectorAsString(selector as LabelSelector);
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${(selector as Record<string, string>)[k]}`)
    .join(',');
}

export function toScale(obj: KObject): KObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: LabelSelector | Record<string, string> };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: selectorString(spec.selector) },
  };
}

/** Applies a Scale's spec.replicas to the object it scales. */
export function fromScale(obj: KObject, scale: KObject): KObject {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', obj.metadata.name ?? '', [invalidField('spec.replicas', replicas, 'must be greater than or equal to 0')]);
  }
  const next = clone(obj);
  next.spec = { ...(next.spec as object), replicas };
  return next;
}

export const scale: SubresourceRest = { view: { kind: SCALE_KIND, group: 'autoscaling', to: toScale, from: fromScale } };
