// Services, as upstream's pkg/registry/core/service (strategy.go and storage's
// patchAllocatedValues/dropTypeDependentFields): an update that omits an allocated value keeps
// it, a type change drops what the old type used and the new one does not, and IP families are
// filled in. Reserving cluster IPs and node ports is ./allocation.ts's job.
import { clone, deepEqual, type KObject } from '../../api/object.js';
import type { Strategy } from '../strategy.js';
import { initIPFamilies } from './families.js';
import { externallyAccessible, needsClusterIP, needsHealthCheckNodePort, needsNodePorts, typeOf } from './needs.js';
import { allocateCreate, allocateUpdate, releaseAll, serviceAllocators } from './allocation.js';

type Any = Record<string, any>;

/** An update that leaves out an allocated value (a PUT of an older manifest) keeps the stored one. */
function patchAllocatedValues(spec: Any, old: Any): void {
  if (needsClusterIP(old) && needsClusterIP(spec)) {
    if (!spec.clusterIP && old.clusterIP) spec.clusterIP = old.clusterIP;
    if (!(spec.clusterIPs ?? []).length && (old.clusterIPs ?? []).length) spec.clusterIPs = clone(old.clusterIPs);
    if (!(spec.ipFamilies ?? []).length && (old.ipFamilies ?? []).length) spec.ipFamilies = clone(old.ipFamilies);
    if (!spec.ipFamilyPolicy && old.ipFamilyPolicy) spec.ipFamilyPolicy = old.ipFamilyPolicy;
  }
  if (needsNodePorts(old) && needsNodePorts(spec)) {
    // Matched by port name, as upstream, unless another port of the new spec already uses it.
    const used = new Set(((spec.ports ?? []) as Any[]).map((p) => p.nodePort).filter(Boolean));
    const byName = new Map(((old.ports ?? []) as Any[]).map((p) => [p.name ?? '', p.nodePort]));
    for (const p of (spec.ports ?? []) as Any[]) {
      if (p && !p.nodePort) {
        const prev = byName.get(p.name ?? '');
        if (prev && !used.has(prev)) p.nodePort = prev;
      }
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(spec) && !spec.healthCheckNodePort) spec.healthCheckNodePort = old.healthCheckNodePort;
}

const nodePortsOf = (spec: Any) => ((spec.ports ?? []) as Any[]).map((p) => p?.nodePort ?? 0);

/** What the old type used and the new one does not goes, unless the client changed it (then validation speaks). */
function dropTypeDependentFields(spec: Any, old: Any): void {
  if (needsClusterIP(old) && !needsClusterIP(spec) && spec.clusterIP === old.clusterIP && deepEqual(spec.clusterIPs ?? [], old.clusterIPs ?? [])) {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    if (deepEqual(spec.ipFamilies, old.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === old.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (needsNodePorts(old) && !needsNodePorts(spec) && deepEqual(nodePortsOf(spec), nodePortsOf(old))) {
    for (const p of (spec.ports ?? []) as Any[]) if (p) delete p.nodePort;
  }
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(spec) && spec.healthCheckNodePort === old.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (typeOf(old) === 'LoadBalancer' && typeOf(spec) !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === old.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(old) && !externallyAccessible(spec) && spec.externalTrafficPolicy === old.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  if (needsClusterIP(old) && !needsClusterIP(spec) && spec.internalTrafficPolicy === old.internalTrafficPolicy) delete spec.internalTrafficPolicy;
}

export const serviceStrategy: Strategy = {
  prepareForCreate: (obj) => {
    // Upstream's Service always has status.loadBalancer (empty until a load balancer fills it).
    obj.status = { loadBalancer: {} };
    initIPFamilies(obj);
  },
  prepareForUpdate: (next, current, subresource) => {
    if (subresource !== '') return;
    const spec: Any = ((next as Any).spec ??= {});
    const old: Any = (current as Any).spec ?? {};
    patchAllocatedValues(spec, old);
    dropTypeDependentFields(spec, old);
    initIPFamilies(next);
  },
  beginCreate: (obj, env, dryRun) => allocateCreate(obj, serviceAllocators(env.store, env.serviceNetwork), dryRun),
  beginUpdate: (next, current, subresource, env, dryRun) =>
    subresource === '' ? allocateUpdate(next, current, serviceAllocators(env.store, env.serviceNetwork), dryRun) : Promise.resolve(undefined),
  afterDelete: (obj, env) => releaseAll(obj, serviceAllocators(env.store, env.serviceNetwork)),
};
