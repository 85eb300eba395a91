// The scheduler configuration file: a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1)
// with profiles, plugins enabled/disabled per extension point or through multiPoint, score
// weights and plugin args, resolved against upstream's default plugin set.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { PluginArgs } from './framework/types.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export const EXTENSION_POINTS = [
  'preEnqueue',
  'queueSort',
  'preFilter',
  'filter',
  'postFilter',
  'preScore',
  'score',
  'reserve',
  'permit',
  'preBind',
  'bind',
  'postBind',
] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

/** Upstream's default profile (multiPoint), in its order, with its score weights. */
export const DEFAULT_PLUGINS: Array<{ name: string; weight?: number }> = [
  { name: 'SchedulingGates' },
  { name: 'PrioritySort' },
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'VolumeRestrictions' },
  { name: 'NodeVolumeLimits' },
  { name: 'VolumeBinding' },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];

export interface PluginRef {
  name: string;
  weight: number;
}

export interface ProfileConfig {
  schedulerName: string;
  percentageOfNodesToScore: number;
  /** Plugins enabled through multiPoint: each runs at every point it implements. */
  multiPoint: PluginRef[];
  /** Per-point overrides: enabled additions and disabled names ('*' disables all defaults there). */
  enabled: Partial<Record<ExtensionPoint, PluginRef[]>>;
  disabled: Partial<Record<ExtensionPoint, string[]>>;
  pluginArgs: Map<string, PluginArgs>;
}

export interface LeaderElectionConfig {
  leaderElect: boolean;
  resourceName: string;
  resourceNamespace: string;
}

export interface SchedulerConfig {
  profiles: ProfileConfig[];
  percentageOfNodesToScore: number;
  leaderElection: LeaderElectionConfig;
}

const DEFAULT_LEADER_ELECTION: LeaderElectionConfig = { leaderElect: true, resourceName: 'kube-scheduler', resourceNamespace: 'kube-system' };

export class ConfigError extends Error {}

export function defaultConfig(): SchedulerConfig {
  return { percentageOfNodesToScore: 0, profiles: [defaultProfile(DEFAULT_SCHEDULER_NAME, 0)], leaderElection: { ...DEFAULT_LEADER_ELECTION } };
}

function defaultProfile(schedulerName: string, pct: number): ProfileConfig {
  return {
    schedulerName,
    percentageOfNodesToScore: pct,
    multiPoint: DEFAULT_PLUGINS.map((p) => ({ name: p.name, weight: p.weight ?? 1 })),
    enabled: {},
    disabled: {},
    pluginArgs: new Map(),
  };
}

export function loadConfigFile(path: string): SchedulerConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`scheduler config ${path}: ${(e as Error).message}`);
  }
  return parseConfig(doc, path);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseConfig(doc: unknown, where = 'scheduler config'): SchedulerConfig {
  if (!isObj(doc)) throw new ConfigError(`${where}: expected a KubeSchedulerConfiguration object`);
  if (doc.kind !== 'KubeSchedulerConfiguration') throw new ConfigError(`${where}: kind must be KubeSchedulerConfiguration, got ${JSON.stringify(doc.kind)}`);
  if (typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('kubescheduler.config.k8s.io/')) {
    throw new ConfigError(`${where}: apiVersion must be kubescheduler.config.k8s.io/v1, got ${JSON.stringify(doc.apiVersion)}`);
  }
  const pct = percentage(doc.percentageOfNodesToScore, `${where}: percentageOfNodesToScore`) ?? 0;
  const rawProfiles = doc.profiles === undefined ? [{}] : doc.profiles;
  if (!Array.isArray(rawProfiles) || rawProfiles.length === 0) throw new ConfigError(`${where}: profiles must be a non-empty list`);
  const names = new Set<string>();
  const profiles = rawProfiles.map((raw, i) => {
    const at = `${where}: profiles[${i}]`;
    if (!isObj(raw)) throw new ConfigError(`${at}: expected an object`);
    const name = raw.schedulerName === undefined ? DEFAULT_SCHEDULER_NAME : raw.schedulerName;
    if (typeof name !== 'string' || !name) throw new ConfigError(`${at}.schedulerName: must be a non-empty string`);
    if (names.has(name)) throw new ConfigError(`${at}.schedulerName: Duplicate value: ${JSON.stringify(name)}`);
    names.add(name);
    const profile = defaultProfile(name, percentage(raw.percentageOfNodesToScore, `${at}.percentageOfNodesToScore`) ?? pct);
    applyPlugins(profile, raw.plugins, `${at}.plugins`);
    applyPluginConfig(profile, raw.pluginConfig, `${at}.pluginConfig`);
    return profile;
  });
  return { profiles, percentageOfNodesToScore: pct, leaderElection: leaderElection(doc.leaderElection, `${where}: leaderElection`) };
}

function leaderElection(v: unknown, at: string): LeaderElectionConfig {
  const out = { ...DEFAULT_LEADER_ELECTION };
  if (v === undefined || v === null) return out;
  if (!isObj(v)) throw new ConfigError(`${at}: expected an object`);
  if (v.leaderElect !== undefined) {
    if (typeof v.leaderElect !== 'boolean') throw new ConfigError(`${at}.leaderElect: expected true or false`);
    out.leaderElect = v.leaderElect;
  }
  for (const k of ['resourceName', 'resourceNamespace'] as const) {
    if (v[k] === undefined) continue;
    if (typeof v[k] !== 'string' || !v[k]) throw new ConfigError(`${at}.${k}: must be a non-empty string`);
    out[k] = v[k] as string;
  }
  return out;
}

function percentage(v: unknown, at: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100)
    throw new ConfigError(`${at}: Invalid value: ${JSON.stringify(v)}: not in valid range [0-100]`);
  return v;
}

function pluginList(v: unknown, at: string): PluginRef[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${at}: expected a list`);
  return v.map((p, i) => {
    if (!isObj(p) || typeof p.name !== 'string' || !p.name) throw new ConfigError(`${at}[${i}].name: Required value`);
    if (p.weight !== undefined && (typeof p.weight !== 'number' || !Number.isInteger(p.weight) || p.weight < 0)) {
      throw new ConfigError(`${at}[${i}].weight: Invalid value: ${JSON.stringify(p.weight)}: must be a non-negative integer`);
    }
    return { name: p.name, weight: (p.weight as number | undefined) ?? 0 };
  });
}

function applyPlugins(profile: ProfileConfig, raw: unknown, at: string): void {
  if (raw === undefined || raw === null) return;
  if (!isObj(raw)) throw new ConfigError(`${at}: expected an object`);
  for (const key of Object.keys(raw)) {
    if (key !== 'multiPoint' && !(EXTENSION_POINTS as readonly string[]).includes(key))
      throw new ConfigError(`${at}: unknown extension point ${JSON.stringify(key)}`);
  }
  const mp = raw.multiPoint;
  if (isObj(mp)) {
    const disabled = pluginList(mp.disabled, `${at}.multiPoint.disabled`).map((p) => p.name);
    if (disabled.includes('*')) profile.multiPoint = [];
    else profile.multiPoint = profile.multiPoint.filter((p) => !disabled.includes(p.name));
    for (const p of pluginList(mp.enabled, `${at}.multiPoint.enabled`)) {
      const existing = profile.multiPoint.find((x) => x.name === p.name);
      // Re-enabling a default plugin through multiPoint overrides its weight.
      if (existing) existing.weight = p.weight || existing.weight;
      else profile.multiPoint.push({ name: p.name, weight: p.weight || 1 });
    }
  }
  for (const point of EXTENSION_POINTS) {
    const set = raw[point];
    if (!isObj(set)) continue;
    profile.disabled[point] = pluginList(set.disabled, `${at}.${point}.disabled`).map((p) => p.name);
    profile.enabled[point] = pluginList(set.enabled, `${at}.${point}.enabled`).map((p) => ({ name: p.name, weight: p.weight || 1 }));
  }
}

function applyPluginConfig(profile: ProfileConfig, raw: unknown, at: string): void {
  if (raw === undefined || raw === null) return;
  if (!Array.isArray(raw)) throw new ConfigError(`${at}: expected a list`);
  raw.forEach((pc, i) => {
    if (!isObj(pc) || typeof pc.name !== 'string') throw new ConfigError(`${at}[${i}].name: Required value`);
    if (profile.pluginArgs.has(pc.name)) throw new ConfigError(`${at}[${i}]: Duplicate value: ${JSON.stringify(pc.name)}`);
    if (pc.args !== undefined && !isObj(pc.args)) throw new ConfigError(`${at}[${i}].args: expected an object`);
    const { apiVersion: _a, kind: _k, ...args } = (pc.args ?? {}) as Obj;
    profile.pluginArgs.set(pc.name, args);
  });
}
