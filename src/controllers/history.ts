// The ControllerRevisions of a workload's pod template (DaemonSet, StatefulSet), as upstream's
// pkg/controller/history and the controllers' getPatch: each revision holds the template as a
// strategic merge patch ({"spec":{"template":{..., "$patch":"replace"}}}, what `kubectl rollout
// undo` applies back), named <owner>-<hash of that patch>, labelled with the template's labels
// (so kubectl finds them by the owner's selector) and the hash.
import type { ControllerRevision } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { isAlreadyExists, isNotFound, resources, type RestClient } from '../client/index.js';
import { canonicalJson, fnv32a, safeEncodeString } from './deployment/hash.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

/** A workload whose template is kept in revisions. */
export interface TemplateOwner {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: { template?: PodTemplateSpec };
}

/** The revision's data: the template, replacing the whole of it when applied. */
export function revisionData(owner: TemplateOwner): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(owner.spec!.template), $patch: 'replace' } } };
}

/** The template a revision holds (its data without the patch directive). */
export function revisionTemplate(rev: ControllerRevision): PodTemplateSpec {
  const tpl = structuredClone((rev.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template ?? {});
  delete tpl.$patch;
  return tpl as PodTemplateSpec;
}

/** upstream HashControllerRevision: fnv32a of the data, then the collision count. */
export function revisionHash(data: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(data)));
  if (collisionCount) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

/** The revision the owner's current template would be (not yet stored); apiVersion and kind name the owner in its reference. */
export function newRevision(owner: TemplateOwner, apiVersion: string, kind: string, revision: number, collisionCount: number | undefined): ControllerRevision {
  const data = revisionData(owner);
  const hash = revisionHash(data, collisionCount);
  const prefix = owner.metadata!.name!.slice(0, 223);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${prefix}-${hash}`,
      namespace: owner.metadata!.namespace,
      labels: { ...(owner.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      annotations: { ...(owner.metadata?.annotations ?? {}) },
      ownerReferences: [{ apiVersion, kind, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    data,
    revision,
  };
}

/** Whether a stored revision holds the same template (upstream Match: equal data). */
export function sameTemplate(rev: ControllerRevision, owner: TemplateOwner): boolean {
  return canonicalJson(rev.data) === canonicalJson(revisionData(owner));
}

export interface RevisionSync {
  client: RestClient;
  owner: TemplateOwner;
  /** The owner's apiVersion and kind, for the revision's controller reference. */
  apiVersion: string;
  kind: string;
  /** The revisions the owner controls. */
  owned: ControllerRevision[];
  collisionCount: number | undefined;
  /** Records one more hash collision in the owner's status (the next attempt then names the revision differently). */
  raiseCollisionCount: () => Promise<void>;
}

/**
 * The revision of the owner's current template: an existing one with the same template (renumbered
 * to be the newest when an older one is reused, as after an undo), or a new one created with the
 * next number (upstream constructHistory / getStatefulSetRevisions). A name taken by a different
 * template is a hash collision: the collision count is raised and the sync fails, to be retried.
 */
export async function ensureRevision(o: RevisionSync): Promise<ControllerRevision> {
  const ns = o.owner.metadata!.namespace;
  const maxRevision = o.owned.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
  const current = o.owned.filter((r) => sameTemplate(r, o.owner)).sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
  if (current) {
    if ((current.revision ?? 0) < maxRevision) {
      return o.client.patch<ControllerRevision>(
        { ...resources.controllerrevisions, namespace: ns, name: current.metadata!.name! },
        { revision: maxRevision + 1 },
        'merge',
      );
    }
    return current;
  }
  const rev = newRevision(o.owner, o.apiVersion, o.kind, maxRevision + 1, o.collisionCount);
  try {
    return await o.client.create<ControllerRevision>({ ...resources.controllerrevisions, namespace: ns }, rev);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = await o.client.get<ControllerRevision>({ ...resources.controllerrevisions, namespace: ns, name: rev.metadata!.name! });
    const ours = existing.metadata?.ownerReferences?.find((r) => r.controller)?.uid === o.owner.metadata!.uid;
    if (ours && sameTemplate(existing, o.owner)) return existing;
    await o.raiseCollisionCount();
    throw new Error(`found a stale ControllerRevision ${rev.metadata!.name} for a different template; collisionCount raised`);
  }
}

/** Deletes the revisions beyond limit that are not in use, oldest first (upstream truncateHistory / cleanupHistory). */
export async function truncateHistory(
  client: RestClient,
  owned: ControllerRevision[],
  inUse: (rev: ControllerRevision) => boolean,
  limit: number,
): Promise<void> {
  const old = owned.filter((r) => !inUse(r)).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  for (const r of old.slice(0, Math.max(0, old.length - limit))) {
    try {
      await client.delete({ ...resources.controllerrevisions, namespace: r.metadata!.namespace, name: r.metadata!.name! });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
