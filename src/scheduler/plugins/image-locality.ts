// ImageLocality favors nodes that already have the pod's container images, weighting each image
// by its size and by how widely it has spread, so a popular image doesn't heat one node
// (upstream imagelocality/image_locality.go).
import type { Pod } from 'kubernetes-types/core/v1';
import type { ImageState, NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
import {
  MAX_NODE_SCORE,
  type ClusterEventWithHint,
  type CycleState,
  type EnqueueExtensions,
  type Handle,
  type PluginArgs,
  type PreScorePlugin,
  type ScorePlugin,
} from '../framework/types.js';
import { checkArgs } from './helpers.js';
import { initThenAppContainers } from '../../api/containers.js';

const MB = 1024 * 1024;
/** Image sums below this score 0; a reasonable lower bound of compressed image sizes. */
export const MIN_THRESHOLD = 23 * MB;
/** Per container, sums above this score MAX_NODE_SCORE. */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/**
 * The fully qualified form of an image reference, as the container runtime reports it in
 * node.status.images: docker.io/ for an implicit registry, library/ for an official image,
 * :latest when there is neither tag nor digest ("nginx" → "docker.io/library/nginx:latest").
 */
export function normalizedImageName(name: string): string {
  let ref = name;
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (!hasDomain) ref = `docker.io/${ref}`;
  else if (first === 'index.docker.io') ref = `docker.io/${ref.slice(slash + 1)}`;
  if (ref.startsWith('docker.io/') && !ref.slice('docker.io/'.length).includes('/')) ref = `docker.io/library/${ref.slice('docker.io/'.length)}`;
  return withDefaultTag(ref);
}

/** Upstream's own normalisation: only ":latest" when the reference has no tag (or digest). */
function withDefaultTag(name: string): string {
  if (name.includes('@')) return name;
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

/** An image's size scaled by the share of nodes that have it. */
function scaledImageScore(state: ImageState, totalNumNodes: number): number {
  return Math.trunc(state.size * (state.numNodes / totalNumNodes));
}

/** Both names an image may be recorded under on a node, for each of the pod's containers. */
function podImageNames(pod: Pod): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const c of initThenAppContainers(pod.spec)) {
    if (c.image) out.push([normalizedImageName(c.image), withDefaultTag(c.image)]);
  }
  return out;
}

/** Sum of the scaled scores of the pod's (init and app) container images present on the node. */
export function sumImageScores(nodeInfo: NodeInfo, pod: Pod, totalNumNodes: number, names = podImageNames(pod)): number {
  let sum = 0;
  for (const [normalized, tagged] of names) {
    const s: ImageState | undefined = nodeInfo.imageStates.get(normalized) ?? nodeInfo.imageStates.get(tagged);
    if (s) sum += scaledImageScore(s, totalNumNodes);
  }
  return sum;
}

const STATE_KEY = 'PreScoreImageLocality';

/** Clamps the sum into [MIN_THRESHOLD, MAX_CONTAINER_THRESHOLD × containers] and scales it to 0..100. */
export function calculatePriority(sumScores: number, numContainers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * numContainers;
  const clamped = Math.min(Math.max(sumScores, MIN_THRESHOLD), maxThreshold);
  if (maxThreshold <= MIN_THRESHOLD) return 0;
  return Math.trunc((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

export class ImageLocality implements PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly NAME = 'ImageLocality';
  readonly name = ImageLocality.NAME;

  constructor(
    args: PluginArgs | undefined,
    private readonly handle: Handle,
  ) {
    checkArgs(ImageLocality.NAME, args);
  }

  /**
   * Image names are normalised once per pod, not once per node. When no candidate node reports
   * any image every node would score the same 0, so the plugin sits the cycle out.
   */
  preScore(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status {
    if (!nodes.some((n) => n.imageStates.size > 0)) return Status.skip();
    state.write(STATE_KEY, podImageNames(pod));
    return Status.success();
  }

  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): { score: number; status: Status } {
    const totalNumNodes = this.handle.snapshot().nodeInfos().length;
    if (totalNumNodes === 0) return { score: 0, status: Status.success() };
    const numContainers = (pod.spec?.initContainers?.length ?? 0) + (pod.spec?.containers?.length ?? 0);
    const names = state.read<Array<[string, string]>>(STATE_KEY);
    return { score: calculatePriority(sumImageScores(nodeInfo, pod, totalNumNodes, names), numContainers), status: Status.success() };
  }

  /** Scoring rejects no pod, so no event has to requeue one. */
  eventsToRegister(): ClusterEventWithHint[] {
    return [];
  }
}
