// The startup suite's floor: the same pods started by direct CRI calls, no Berth — what the
// runtime alone costs. Each pod goes the way the agent's pod worker takes it, with the agent's own
// builders (sandbox and container configs, environment, volumes, /etc/hosts) and its start gate
// (the same bound on runtime steps in flight, earliest pods first): RunPodSandbox (containerd runs
// the CNI bridge plugin for it), PodSandboxStatus for the pod's IP, ImageStatus (PullImage when
// absent), CreateContainer, StartContainer. What Berth adds on top (the API server, scheduling,
// the watch, relists, status writes, events) is what the floor leaves out.
import type { ConfigMap, Pod, Service } from 'kubernetes-types/core/v1';
import { randomUUID } from 'node:crypto';
import type { ContainerConfig, PodSandboxConfig, Runtime } from '../src/runtime/index.js';
import { LABEL_MANAGED_BY, containerConfig, sandboxConfig, type DnsSettings } from '../src/agent/container-config.js';
import { containerEnv } from '../src/agent/env.js';
import { hostsMount } from '../src/agent/etc-hosts.js';
import { podIdentity, removePodFromNode, stopPodNow } from '../src/agent/pod-cleanup.js';
import { imageUser } from '../src/agent/security-context.js';
import { podServices, serviceEnvVars } from '../src/agent/service-env.js';
import { StartGate } from '../src/agent/start-gate.js';
import { containerMounts, setUpVolumes, type VolumeSources } from '../src/agent/volumes.js';

export interface FloorNode {
  runtime: Runtime;
  /** The agent's directories and settings, so that configs and files are the agent's. */
  logRoot: string;
  podsRoot: string;
  cgroupRoot: string;
  dns: DnsSettings;
  nodeIP: string;
  memoryCapacity: number;
  allocatable: { cpuMilli: number; memory: number };
  /** Runtime steps in flight at once: the agent's start gate's bound. */
  concurrency: number;
  /** default/kubernetes, for the variables every container gets. */
  apiService?: Service;
  /** The cluster's CA (the kube-root-ca.crt ConfigMap every namespace has, in the token volume). */
  caCert: string;
}

export interface FloorRun {
  /** Per pod: ms from the common start to its last container started. */
  latencies: number[];
  pods: Pod[];
}

/**
 * The pods the API server would hand the agent, made locally: admitted pods (from a dry-run
 * create, so that defaults and the service account's token volume are the same) under new uids.
 */
export function floorPods(admitted: Pod[]): Pod[] {
  return admitted.map((p) => ({
    ...p,
    metadata: { ...p.metadata, uid: randomUUID(), resourceVersion: undefined },
    status: { ...p.status, phase: 'Pending' },
  }));
}

/**
 * Starts every pod at once (each one's steps in order, the runtime steps through the start
 * gate) and resolves with each pod's time to running. Throws if any step fails: a floor with a
 * pod missing is no floor.
 */
export async function startPodsDirectly(node: FloorNode, pods: Pod[]): Promise<FloorRun> {
  const gate = new StartGate(node.concurrency);
  const t0 = performance.now();
  const latencies = await Promise.all(
    pods.map(async (pod, order) => {
      await startPod(node, gate, order, pod);
      return performance.now() - t0;
    }),
  );
  return { latencies, pods };
}

/** Removes everything of the floor's pods from the node, as the agent does for a deleted pod. */
export async function removeFloorPods(node: FloorNode, pods: Pod[], log: (m: string) => void): Promise<void> {
  const deps = { runtime: node.runtime, logRoot: node.logRoot, cgroupRoot: node.cgroupRoot, podsRoot: node.podsRoot, log };
  await Promise.all(
    pods.map(async (pod) => {
      await stopPodNow(node.runtime, pod.metadata!.uid!);
      await removePodFromNode(deps, podIdentity(pod));
    }),
  );
}

/**
 * The floor's pods carry no managed-by label: the agent on the same runtime then leaves them
 * alone (it removes sandboxes of its own that no pod owns). Labels cost the runtime nothing.
 */
function unmanaged<T extends PodSandboxConfig | ContainerConfig>(config: T): T {
  const { [LABEL_MANAGED_BY]: _, ...labels } = config.labels ?? {};
  return { ...config, labels };
}

async function startPod(node: FloorNode, gate: StartGate, order: number, pod: Pod): Promise<void> {
  const rt = node.runtime;
  const sbConfig = unmanaged(sandboxConfig(pod, { attempt: 0, logRoot: node.logRoot, cgroupRoot: node.cgroupRoot, dns: node.dns }));
  const sandboxId = await gate.run(order, () => rt.runPodSandbox(sbConfig));
  const podIPs = pod.spec?.hostNetwork ? [node.nodeIP] : ((await rt.podSandboxStatus(sandboxId))?.ips ?? []);
  const sources = volumeSources(node, podIPs);
  const serviceEnv = serviceEnvVars(podServices(node.apiService, [], pod.spec?.enableServiceLinks !== false));
  for (const c of pod.spec!.containers) {
    const image = c.image!;
    const present = await rt.imageStatus(image);
    const imageRef = present?.id ?? (await rt.pullImage(image, sbConfig));
    const envs = await containerEnv(pod, c, { ...sources, serviceEnv });
    const mounts = containerMounts(c, await setUpVolumes(pod, node.podsRoot, sources), envs);
    const hosts = hostsMount(pod, node.podsRoot, podIPs, node.dns.clusterDomain, mounts);
    if (hosts) mounts.push(hosts);
    const config = unmanaged(
      containerConfig(pod, c, { attempt: 0, image: imageRef, envs, memoryCapacity: node.memoryCapacity, mounts, imageUser: imageUser(present) }),
    );
    const id = await gate.run(order, () => rt.createContainer(sandboxId, config, sbConfig));
    await gate.run(order, () => rt.startContainer(id));
  }
}

/** What the pods' volumes and variables are made of, without an API server: the CA's ConfigMap and a token. */
function volumeSources(node: FloorNode, podIPs: string[]): VolumeSources {
  const rootCa: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': node.caCert } };
  return {
    getConfigMap: async (_ns, name) => (name === rootCa.metadata!.name ? rootCa : undefined),
    getSecret: async () => undefined,
    getClaim: async () => undefined,
    getVolume: async () => undefined,
    podIPs,
    hostIPs: [node.nodeIP],
    allocatable: node.allocatable,
    // A token of a real one's size (a signed JWT of ~1 KB); its content is never read.
    serviceAccountToken: async () => `floor.${'x'.repeat(1000)}.token`,
  };
}
