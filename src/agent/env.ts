// A container's environment as kubelet's makeEnvironmentVariables computes it: envFrom first,
// then env in order, each value able to refer to the ones before it with $(VAR); valueFrom
// fieldRef, resourceFieldRef, configMapKeyRef and secretKeyRef.
import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1';
import { Quantity } from '../api/quantity.js';
import { expandVars } from './container-config.js';
import { initThenAppContainers } from '../api/containers.js';

/** Something in the pod's spec that can't be satisfied yet: the container waits with CreateContainerConfigError. */
export class ContainerConfigError extends Error {}

export interface EnvSources {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  podIPs: string[];
  hostIPs: string[];
  /** The node's allocatable cpu (millicores) and memory (bytes): limits default to them. */
  allocatable: { cpuMilli: number; memory: number };
  /** The Services' variables (service-env.ts): env and envFrom override them and may refer to them. */
  serviceEnv?: Array<{ key: string; value: string }>;
}

/** metadata.labels['key'] and the like. */
function subscript(path: string, field: string): string | undefined {
  const m = new RegExp(`^${field.replace('.', '\\.')}\\['(.*)'\\]$`).exec(path);
  return m?.[1];
}

export function fieldRefValue(pod: Pod, path: string, src: Pick<EnvSources, 'podIPs' | 'hostIPs'>): string {
  const m = pod.metadata!;
  switch (path) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
      return src.podIPs[0] ?? '';
    case 'status.podIPs':
      return src.podIPs.join(',');
    case 'status.hostIP':
      return src.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return src.hostIPs.join(',');
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
  }
  const label = subscript(path, 'metadata.labels');
  if (label !== undefined) return m.labels?.[label] ?? '';
  const annotation = subscript(path, 'metadata.annotations');
  if (annotation !== undefined) return m.annotations?.[annotation] ?? '';
  throw new ContainerConfigError(`unsupported fieldRef: ${path}`);
}

/** The downward API's key="value" lines, sorted. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** resourceFieldRef: a container's limit or request, in units of the divisor, rounded up. */
export function resourceFieldValue(
  pod: Pod,
  c: Container,
  ref: { containerName?: string; resource: string; divisor?: string | number },
  alloc: EnvSources['allocatable'],
): string {
  const target = ref.containerName ? initThenAppContainers(pod.spec).find((x) => x.name === ref.containerName) : c;
  if (!target) throw new ContainerConfigError(`resourceFieldRef: no container ${ref.containerName}`);
  const [kind, name] = ref.resource.split('.') as [string, string];
  const get = (k: 'limits' | 'requests') => target.resources?.[k]?.[name];
  let q = kind === 'limits' ? get('limits') : get('requests');
  if (q === undefined && kind === 'limits') q = name === 'cpu' ? `${alloc.cpuMilli}m` : name === 'memory' ? String(alloc.memory) : undefined;
  if (q === undefined) q = '0';
  const divisor = Quantity.parse(String(ref.divisor ?? '1'));
  const value = Quantity.parse(String(q));
  if (divisor.isZero()) throw new ContainerConfigError('resourceFieldRef: divisor must be positive');
  // value / divisor, rounded up, in whole units.
  const num = value.scaled(-9);
  const den = divisor.scaled(-9);
  const out = (num + den - 1n) / den;
  return String(name === 'cpu' && out === 0n ? 1n : out);
}

export async function containerEnv(pod: Pod, c: Container, src: EnvSources): Promise<Array<{ key: string; value: string }>> {
  const ns = pod.metadata!.namespace!;
  const vars = new Map<string, string>((src.serviceEnv ?? []).map((e) => [e.key, e.value]));
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = await src.getConfigMap(ns, from.configMapRef.name!);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) vars.set(prefix + k, v);
    }
    if (from.secretRef) {
      const s = await src.getSecret(ns, from.secretRef.name!);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(s.data ?? {})) vars.set(prefix + k, Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  for (const e of c.env ?? []) {
    const vf = e.valueFrom;
    if (!vf) {
      vars.set(e.name, expandVars(e.value ?? '', vars));
      continue;
    }
    if (vf.fieldRef) vars.set(e.name, fieldRefValue(pod, vf.fieldRef.fieldPath, src));
    else if (vf.resourceFieldRef)
      vars.set(e.name, resourceFieldValue(pod, c, vf.resourceFieldRef as { containerName?: string; resource: string; divisor?: string }, src.allocatable));
    else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = await src.getConfigMap(ns, ref.name!);
      const v = cm?.data?.[ref.key] ?? (cm?.binaryData?.[ref.key] !== undefined ? Buffer.from(cm.binaryData[ref.key]!, 'base64').toString('utf8') : undefined);
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(cm ? `couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}` : `configmap "${ref.name}" not found`);
      }
      vars.set(e.name, v);
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = await src.getSecret(ns, ref.name!);
      const v = s?.data?.[ref.key];
      if (v === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(s ? `couldn't find key ${ref.key} in Secret ${ns}/${ref.name}` : `secret "${ref.name}" not found`);
      }
      vars.set(e.name, Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  return [...vars].map(([key, value]) => ({ key, value }));
}
