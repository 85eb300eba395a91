// The EndpointSlice reconciler (upstream staging endpointslice reconciler.go): turns a Service's
// existing slices into its desired ones with as few writes as it can. Existing slices are
// updated in place (endpoints gone are dropped, changed ones replaced); new endpoints first fill
// the slices being written anyway, then one unchanged slice with room for all that is left,
// and only then new slices; a slice about to be deleted is reused for one about to be created.
// It is pure: the caller writes what it returns.
import type { Service } from 'kubernetes-types/core/v1';
import type { Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { deepEqual } from '../../api/object.js';
import { endpointKey, portMapKey, sliceLabels, type PortGroup } from './desired.js';

export interface SliceChanges {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

export function serviceOwnerRef(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata!.name!, uid: svc.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** A new slice of the Service with these ports (upstream newEndpointSlice). */
export function newSlice(svc: Service, group: Pick<PortGroup, 'ports'>): EndpointSlice {
  const name = svc.metadata!.name!;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    // Upstream's prefix: the name and a dash, shortened to leave room for the random suffix.
    metadata: {
      generateName: `${name.slice(0, 63 - 5 - 1)}-`,
      namespace: svc.metadata!.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [serviceOwnerRef(svc)],
    },
    addressType: 'IPv4',
    endpoints: [],
    ports: structuredClone(group.ports),
  };
}

/** Whether a slice belongs to this incarnation of the Service (not to a deleted one of the same name). */
export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return !!slice.metadata?.ownerReferences?.some((r) => r.controller && r.kind === 'Service' && r.uid === svc.metadata?.uid);
}

function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return deepEqual(normalize(a), normalize(b));
}

function normalize(ep: Endpoint): Endpoint {
  return JSON.parse(JSON.stringify(ep)) as Endpoint;
}

/**
 * The writes that take existing to desired. Slices of another Service incarnation or address
 * type go; with nothing at all to publish, one placeholder slice without endpoints or ports
 * stays, so consumers can tell "no endpoints" from "not processed yet", as upstream does.
 */
export function reconcileSlices(svc: Service, existing: readonly EndpointSlice[], desired: Map<string, PortGroup>, maxPerSlice: number): SliceChanges {
  const out: SliceChanges = { create: [], update: [], delete: [] };
  const labels = sliceLabels(svc);
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc) || s.addressType !== 'IPv4') {
      out.delete.push(s);
      continue;
    }
    const key = portMapKey(s.ports);
    byPorts.set(key, [...(byPorts.get(key) ?? []), s]);
  }
  const keys = new Set([...byPorts.keys(), ...desired.keys()]);
  for (const key of keys) reconcilePortMapping(svc, labels, byPorts.get(key) ?? [], desired.get(key), maxPerSlice, out);
  keepPlaceholder(svc, existing, out);
  reuseDeletedForCreated(svc, out);
  return out;
}

function reconcilePortMapping(
  svc: Service,
  labels: Record<string, string>,
  existing: EndpointSlice[],
  group: PortGroup | undefined,
  max: number,
  out: SliceChanges,
): void {
  if (!group) {
    // Ports no endpoint has any more (a placeholder included): their slices go.
    out.delete.push(...existing);
    return;
  }
  const remaining = new Map<string, Endpoint>();
  for (const ep of group.endpoints) remaining.set(endpointKey(ep), ep);
  const toUpdate: EndpointSlice[] = [];
  const unchanged: EndpointSlice[] = [];
  // 1. Existing slices: drop endpoints no longer wanted, refresh changed ones.
  for (const slice of existing) {
    let changed = !deepEqual(slice.metadata?.labels ?? {}, labels);
    const kept: Endpoint[] = [];
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = remaining.get(key);
      if (!want || kept.length >= max) {
        changed = true;
        continue;
      }
      remaining.delete(key);
      if (sameEndpoint(want, ep)) kept.push(ep);
      else {
        kept.push(want);
        changed = true;
      }
    }
    if (!changed) unchanged.push(slice);
    else if (kept.length === 0) out.delete.push(slice);
    else toUpdate.push({ ...slice, metadata: { ...slice.metadata, labels }, endpoints: kept });
  }
  // 2. New endpoints go first into slices written anyway, fullest first.
  if (remaining.size > 0) {
    toUpdate.sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const slice of toUpdate) fill(slice, remaining, max);
  }
  // 3. Then into an unchanged slice with room for all that is left, or new slices.
  while (remaining.size > 0) {
    const target = remaining.size < max ? sliceToFill(unchanged, remaining.size, max) : undefined;
    if (target) {
      unchanged.splice(unchanged.indexOf(target), 1);
      const slice = { ...target, metadata: { ...target.metadata, labels }, endpoints: [...target.endpoints] };
      fill(slice, remaining, max);
      toUpdate.push(slice);
    } else {
      const slice = newSlice(svc, group);
      fill(slice, remaining, max);
      out.create.push(slice);
    }
  }
  out.update.push(...toUpdate);
}

function fill(slice: EndpointSlice, remaining: Map<string, Endpoint>, max: number): void {
  for (const [key, ep] of remaining) {
    if (slice.endpoints.length >= max) return;
    slice.endpoints.push(ep);
    remaining.delete(key);
  }
}

/** The fullest unchanged slice that still has room for n more (upstream getSliceToFill). */
function sliceToFill(unchanged: EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  for (const s of unchanged) {
    const len = s.endpoints?.length ?? 0;
    if (max - len >= n && (!best || len > best.endpoints.length)) best = s;
  }
  return best;
}

/** A create and a delete become one update of the deleted slice (fewer watch events, same name). */
function reuseDeletedForCreated(svc: Service, out: SliceChanges): void {
  while (out.create.length && out.delete.length) {
    const victimIndex = out.delete.findIndex((s) => ownedBy(s, svc) && s.addressType === 'IPv4');
    if (victimIndex < 0) return;
    const [victim] = out.delete.splice(victimIndex, 1);
    const created = out.create.pop()!;
    out.update.push({ ...created, metadata: { ...victim!.metadata, labels: created.metadata!.labels, ownerReferences: created.metadata!.ownerReferences } });
  }
}

function keepPlaceholder(svc: Service, existing: readonly EndpointSlice[], out: SliceChanges): void {
  if (out.create.length > 0 || out.delete.length !== existing.length) return;
  const placeholder = newSlice(svc, { ports: [] });
  const [only] = out.delete;
  if (out.delete.length === 1 && only && isSamePlaceholder(only, placeholder)) {
    out.delete = [];
    return;
  }
  out.create.push(placeholder);
}

function isSamePlaceholder(slice: EndpointSlice, placeholder: EndpointSlice): boolean {
  return (
    slice.addressType === placeholder.addressType &&
    (slice.endpoints ?? []).length === 0 &&
    (slice.ports ?? []).length === 0 &&
    deepEqual(slice.metadata?.labels ?? {}, placeholder.metadata!.labels) &&
    deepEqual(slice.metadata?.ownerReferences ?? [], placeholder.metadata!.ownerReferences)
  );
}
