// Which Node labels a kubelet may set on itself (upstream's k8s.io/kubelet/pkg/apis IsKubeletLabel,
// from the "bounding self-labeling kubelets" design): outside the kubernetes.io and k8s.io
// namespaces anything; inside them only the well-known labels a kubelet reports and the
// [*.]kubelet.kubernetes.io and [*.]node.kubernetes.io namespaces. node-restriction.kubernetes.io
// is thereby out of reach, so that an administrator's labels there can be trusted to isolate
// workloads. kubelet refuses other labels at start; the NodeRestriction admission plugin refuses
// them from a node's own credentials.

/** Labels in the kubernetes.io / k8s.io namespaces a kubelet may set. */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);

/** Label namespaces (and their subdomains) a kubelet may set anything in. */
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

/** The namespace no kubelet may set labels in (with the NodeRestriction plugin on). */
export const NODE_RESTRICTION_LABEL_NAMESPACE = 'node-restriction.kubernetes.io';

function labelNamespace(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

const inDomain = (ns: string, domain: string) => ns === domain || ns.endsWith(`.${domain}`);

/** A key in the kubernetes.io or k8s.io namespaces (or a subdomain of either). */
export function isKubernetesLabel(key: string): boolean {
  const ns = labelNamespace(key);
  return inDomain(ns, 'kubernetes.io') || inDomain(ns, 'k8s.io');
}

/** A label a kubelet may set on its own Node. */
export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => inDomain(ns, d));
}

/** Whether a node may label itself with key: anything outside kubernetes.io and k8s.io, and the kubelet's own set inside. */
export function mayKubeletSetLabel(key: string): boolean {
  return !isKubernetesLabel(key) || isKubeletLabel(key);
}

/** The allowed set, sorted, for an error message that tells what would be accepted. */
export function kubeletLabelsHelp(): string {
  return `allowed prefixes ${KUBELET_LABEL_NAMESPACES.join(', ')}; allowed labels ${[...KUBELET_LABELS].sort().join(', ')}`;
}
