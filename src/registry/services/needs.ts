// What a Service of each type uses, as upstream's needsClusterIP/needsNodePort/needsHCNodePort:
// what the strategy keeps or drops on a type change and what the allocator reserves.
type Any = Record<string, any>;

export const typeOf = (spec: Any): string => spec.type || 'ClusterIP';
export const needsClusterIP = (spec: Any) => typeOf(spec) !== 'ExternalName';
export const needsNodePorts = (spec: Any) => typeOf(spec) === 'NodePort' || (typeOf(spec) === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
export const needsHealthCheckNodePort = (spec: Any) => typeOf(spec) === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
export const externallyAccessible = (spec: Any) => typeOf(spec) === 'NodePort' || typeOf(spec) === 'LoadBalancer';
