// Builds a profile's Framework from its configuration: each plugin is created once, from its
// args, and takes part in every extension point it implements (multiPoint) unless disabled there.
import { Framework, type ProfilePlugins } from './framework/runtime.js';
import type { Handle, Plugin, PluginArgs } from './framework/types.js';
import { ConfigError, EXTENSION_POINTS, type ExtensionPoint, type ProfileConfig } from './config.js';

export type PluginFactory = (args: PluginArgs | undefined, handle: Handle) => Plugin;

/** The method that makes a plugin take part in an extension point. */
const METHOD: Record<ExtensionPoint, string> = {
  preEnqueue: 'preEnqueue',
  queueSort: 'less',
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  reserve: 'reserve',
  permit: 'permit',
  preBind: 'preBind',
  bind: 'bind',
  postBind: 'postBind',
};

const implementsPoint = (p: Plugin, point: ExtensionPoint) => typeof (p as unknown as Record<string, unknown>)[METHOD[point]] === 'function';

export function buildFramework(profile: ProfileConfig, registry: Map<string, PluginFactory>, handle: Handle): Framework {
  const instances = new Map<string, Plugin>();
  const instance = (name: string): Plugin => {
    let p = instances.get(name);
    if (!p) {
      const factory = registry.get(name);
      if (!factory) throw new ConfigError(`profile ${profile.schedulerName}: plugin ${JSON.stringify(name)} does not exist`);
      try {
        p = factory(profile.pluginArgs.get(name), handle);
      } catch (e) {
        throw new ConfigError(`profile ${profile.schedulerName}: plugin ${name}: ${(e as Error).message}`);
      }
      instances.set(name, p);
    }
    return p;
  };
  for (const name of profile.pluginArgs.keys()) {
    if (!registry.has(name)) throw new ConfigError(`profile ${profile.schedulerName}: pluginConfig for unknown plugin ${JSON.stringify(name)}`);
  }

  const perPoint = new Map<ExtensionPoint, Array<{ plugin: Plugin; weight: number }>>();
  for (const point of EXTENSION_POINTS) {
    const disabled = profile.disabled[point] ?? [];
    const list: Array<{ plugin: Plugin; weight: number }> = [];
    // Plugins enabled for this point specifically come first, then the multiPoint ones.
    for (const ref of profile.enabled[point] ?? []) {
      const plugin = instance(ref.name);
      if (!implementsPoint(plugin, point)) throw new ConfigError(`profile ${profile.schedulerName}: plugin ${ref.name} does not extend ${point}`);
      list.push({ plugin, weight: ref.weight });
    }
    if (!disabled.includes('*')) {
      for (const ref of profile.multiPoint) {
        if (disabled.includes(ref.name) || list.some((x) => x.plugin.name === ref.name)) continue;
        const plugin = instance(ref.name);
        if (implementsPoint(plugin, point)) list.push({ plugin, weight: ref.weight });
      }
    }
    perPoint.set(point, list);
  }

  const pick = <T>(point: ExtensionPoint) => perPoint.get(point)!.map((x) => x.plugin as unknown as T);
  const queueSort = pick<ProfilePlugins['queueSort']>('queueSort');
  if (queueSort.length !== 1)
    throw new ConfigError(`profile ${profile.schedulerName}: exactly one queueSort plugin must be enabled, found ${queueSort.length}`);
  const bind = pick<ProfilePlugins['bind'][number]>('bind');
  if (bind.length === 0) throw new ConfigError(`profile ${profile.schedulerName}: at least one bind plugin is needed`);
  const plugins: ProfilePlugins = {
    queueSort: queueSort[0]!,
    preEnqueue: pick('preEnqueue'),
    preFilter: pick('preFilter'),
    filter: pick('filter'),
    postFilter: pick('postFilter'),
    preScore: pick('preScore'),
    score: perPoint.get('score')!.map((x) => ({ plugin: x.plugin as unknown as ProfilePlugins['score'][number]['plugin'], weight: x.weight || 1 })),
    reserve: pick('reserve'),
    permit: pick('permit'),
    preBind: pick('preBind'),
    bind,
    postBind: pick('postBind'),
    all: [...instances.values()],
  };
  return new Framework(profile.schedulerName, plugins, profile.percentageOfNodesToScore);
}
