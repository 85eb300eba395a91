// A pod's total requests or limits, as upstream's resourcehelper.PodRequests / PodLimits: the
// app containers and sidecars (restartable init containers) add up; each plain init
// container runs alone beside the sidecars started before it, so the pod needs the larger of
// the two; overhead comes on top. LimitRanger (type Pod) and ResourceQuota read it.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { Quantity } from './quantity.js';

export type ResourceTotals = Map<string, Quantity>;

function add(into: ResourceTotals, list: Record<string, unknown> | undefined): void {
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = Quantity.tryParse(String(v));
    if (!q) continue;
    const had = into.get(k);
    into.set(k, had ? had.add(q) : q);
  }
}

function max(into: ResourceTotals, other: ResourceTotals): void {
  for (const [k, q] of other) {
    const had = into.get(k);
    if (!had || q.cmp(had) > 0) into.set(k, q);
  }
}

/** What one container asks for (`requests`) or is capped at (`limits`). */
export function containerResources(c: Container, which: 'requests' | 'limits'): ResourceTotals {
  const out: ResourceTotals = new Map();
  add(out, c.resources?.[which] as Record<string, unknown> | undefined);
  return out;
}

export function podResources(pod: Pod, which: 'requests' | 'limits'): ResourceTotals {
  const spec = pod.spec;
  const total: ResourceTotals = new Map();
  for (const c of spec?.containers ?? []) add(total, c.resources?.[which] as Record<string, unknown> | undefined);
  const sidecars: ResourceTotals = new Map();
  const initPeak: ResourceTotals = new Map();
  for (const c of spec?.initContainers ?? []) {
    const own = containerResources(c, which);
    if (c.restartPolicy === 'Always') {
      for (const [k, q] of own) {
        total.set(k, total.get(k)?.add(q) ?? q);
        sidecars.set(k, sidecars.get(k)?.add(q) ?? q);
      }
      max(initPeak, new Map(sidecars));
    } else {
      const alongside = new Map(own);
      for (const [k, q] of sidecars) alongside.set(k, alongside.get(k)?.add(q) ?? q);
      max(initPeak, alongside);
    }
  }
  max(total, initPeak);
  add(total, spec?.overhead as Record<string, unknown> | undefined);
  return total;
}
