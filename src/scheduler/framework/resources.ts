// Resource arithmetic in the units the scheduler compares: milli-CPU, bytes, and plain counts
// for extended resources. Requests of a pod are computed as upstream's resourcehelper does:
// init containers run one at a time before the app containers, native sidecars (init
// containers with restartPolicy Always) keep running beside everything started after them,
// and the pod's overhead comes on top.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { Quantity } from '../../api/quantity.js';

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
export const PODS = 'pods';

/** Upstream's defaults for containers that request nothing, used when scoring only. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended resources (example.com/gpu), hugepages-*, attachable volumes: plain counts. */
  scalar: Map<string, number>;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

export function cloneResource(r: Resource): Resource {
  return { ...r, scalar: new Map(r.scalar) };
}

function quantity(v: string | number | undefined): Quantity | undefined {
  if (v === undefined) return undefined;
  try {
    return Quantity.parse(String(v));
  } catch {
    return undefined;
  }
}

/** A ResourceList (cpu: "500m", memory: "1Gi", ...) in scheduler units. */
export function resourceFromList(list: Record<string, string | number> | undefined): Resource {
  const r = emptyResource();
  if (!list) return r;
  for (const [name, v] of Object.entries(list)) addNamed(r, name, quantity(v), 1);
  return r;
}

function addNamed(r: Resource, name: string, q: Quantity | undefined, sign: 1 | -1): void {
  if (!q) return;
  switch (name) {
    case CPU:
      r.milliCPU += sign * q.milliValue();
      break;
    case MEMORY:
      r.memory += sign * q.value();
      break;
    case EPHEMERAL_STORAGE:
      r.ephemeralStorage += sign * q.value();
      break;
    case PODS:
      r.allowedPodNumber += sign * q.value();
      break;
    default:
      if (isScalarResourceName(name)) r.scalar.set(name, (r.scalar.get(name) ?? 0) + sign * q.value());
  }
}

/** Extended resources (domain-prefixed, outside kubernetes.io), hugepages and attachable volumes. */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  if (!name.includes('/')) return false;
  if (name.startsWith('requests.')) return false;
  const domain = name.slice(0, name.indexOf('/'));
  return !(domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io'));
}

export function addResource(to: Resource, r: Resource, sign: 1 | -1 = 1): void {
  to.milliCPU += sign * r.milliCPU;
  to.memory += sign * r.memory;
  to.ephemeralStorage += sign * r.ephemeralStorage;
  to.allowedPodNumber += sign * r.allowedPodNumber;
  for (const [k, v] of r.scalar) to.scalar.set(k, (to.scalar.get(k) ?? 0) + sign * v);
}

function maxResource(a: Resource, b: Resource): Resource {
  const out: Resource = {
    milliCPU: Math.max(a.milliCPU, b.milliCPU),
    memory: Math.max(a.memory, b.memory),
    ephemeralStorage: Math.max(a.ephemeralStorage, b.ephemeralStorage),
    allowedPodNumber: Math.max(a.allowedPodNumber, b.allowedPodNumber),
    scalar: new Map(a.scalar),
  };
  for (const [k, v] of b.scalar) out.scalar.set(k, Math.max(out.scalar.get(k) ?? 0, v));
  return out;
}

export interface RequestOptions {
  /** Fill in DEFAULT_MILLI_CPU_REQUEST / DEFAULT_MEMORY_REQUEST for containers without them (scoring). */
  nonZero?: boolean;
}

function containerRequests(c: Container, opts: RequestOptions): Resource {
  const req = (c.resources?.requests ?? {}) as Record<string, string>;
  const r = resourceFromList(req);
  if (opts.nonZero) {
    if (req[CPU] === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (req[MEMORY] === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/** The resources a pod needs on its node (upstream resourcehelper.PodRequests). */
export function podRequests(pod: Pod, opts: RequestOptions = {}): Resource {
  const spec = pod.spec;
  const reqs = emptyResource();
  if (!spec) return reqs;
  for (const c of spec.containers ?? []) addResource(reqs, containerRequests(c, opts));

  const sidecars = emptyResource();
  let initMax = emptyResource();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, opts);
    let peak: Resource;
    if (c.restartPolicy === 'Always') {
      // A sidecar keeps running alongside the app containers and every later init container.
      addResource(reqs, r);
      addResource(sidecars, r);
      peak = cloneResource(sidecars);
    } else {
      peak = cloneResource(r);
      addResource(peak, sidecars);
    }
    initMax = maxResource(initMax, peak);
  }
  const total = maxResource(reqs, initMax);
  if (spec.overhead) addResource(total, resourceFromList(spec.overhead as Record<string, string>));
  return total;
}
