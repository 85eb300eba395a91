// Which nodes a DaemonSet's pod belongs on, and the pod made for a node, as upstream's
// pkg/controller/daemon (NodeShouldRunDaemonPod) and its util (the tolerations every daemon pod
// gets, the node affinity that pins it to its node for the scheduler to bind).
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { Affinity, Node, NodeSelectorTerm, Pod, Toleration } from 'kubernetes-types/core/v1';
import { findMatchingUntoleratedTaint, isDoNotScheduleTaint, podMatchesNodeSelectorAndAffinityTerms } from '../../scheduler/plugins/helpers.js';

/** The tolerations upstream adds to every daemon pod (AddOrUpdateDaemonPodTolerations). */
export function daemonPodTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/** Adds each toleration the pod does not already have (same key, operator, value and effect). */
function addTolerations(existing: Toleration[] | undefined, add: Toleration[]): Toleration[] {
  const out = [...(existing ?? [])];
  for (const t of add) {
    if (!out.some((e) => e.key === t.key && (e.operator ?? 'Equal') === t.operator && (e.value ?? '') === (t.value ?? '') && e.effect === t.effect))
      out.push(t);
  }
  return out;
}

/**
 * The template's affinity with its required node terms replaced by one term pinning the pod to
 * nodeName through matchFields metadata.name (upstream ReplaceDaemonSetPodNodeNameNodeAffinity).
 */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const term: NodeSelectorTerm = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
  const next: Affinity = structuredClone(affinity ?? {});
  next.nodeAffinity ??= {};
  next.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
  return next;
}

/** The daemon pod's spec for a node, as the controller would create it (tolerations added, pinned). */
export function daemonPodSpec(ds: DaemonSet, nodeName: string): Pod['spec'] {
  const spec = structuredClone(ds.spec!.template.spec!);
  spec.tolerations = addTolerations(spec.tolerations, daemonPodTolerations(!!spec.hostNetwork));
  spec.affinity = pinToNode(spec.affinity, nodeName);
  return spec;
}

/**
 * Whether the DaemonSet's pod should run on the node (shouldRun), and whether a pod already
 * there may stay (shouldContinueRunning: a new NoSchedule taint does not evict it, only an
 * untolerated NoExecute one does).
 */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const templateNode = ds.spec?.template?.spec?.nodeName;
  if (templateNode && templateNode !== node.metadata?.name) return { shouldRun: false, shouldContinueRunning: false };
  // Matched as the template's own selector and affinity (not the pinning term, which always fits).
  const probe: Pod = { metadata: {}, spec: { ...ds.spec!.template.spec!, nodeName: node.metadata!.name } };
  if (!podMatchesNodeSelectorAndAffinityTerms(probe, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = addTolerations(ds.spec?.template?.spec?.tolerations, daemonPodTolerations(!!ds.spec?.template?.spec?.hostNetwork));
  const taints = node.spec?.taints;
  if (findMatchingUntoleratedTaint(taints, tolerations, isDoNotScheduleTaint)) {
    const noExecute = findMatchingUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !noExecute };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod is for: its nodeName, or the node its pinning affinity names (upstream GetTargetNodeName). */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}
