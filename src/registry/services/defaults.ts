// Service defaulting, as upstream's SetDefaults_Service (pkg/apis/core/v1/defaults.go): what a
// Service without these fields means, written down so every reader (proxy, DNS, kubectl) sees it.
// ClusterIPs and IP families are not defaults but allocations: the strategy sets them.
import type { Defaulter } from '../../api/resource.js';

type Any = Record<string, any>;

/** Upstream's DefaultClientIPServiceAffinitySeconds: three hours. */
export const DEFAULT_CLIENT_IP_TIMEOUT = 10800;

export const defaultService: Defaulter = (o) => {
  const spec: Any = ((o as Any).spec ??= {});
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= DEFAULT_CLIENT_IP_TIMEOUT;
  }
  spec.type ||= 'ClusterIP';
  for (const port of (spec.ports ?? []) as Any[]) {
    if (!port || typeof port !== 'object') continue;
    port.protocol ||= 'TCP';
    // An absent (or zero/empty) targetPort means the service port itself.
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ||= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  // A single clusterIP given alone is the first of clusterIPs (upstream keeps both in step).
  if (spec.clusterIP && !(spec.clusterIPs ?? []).length) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
};
