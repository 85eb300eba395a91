// For the scheduler's tests: the default profile's framework over a fixed snapshot, with a
// handle whose evictions a test can watch (preemption) and nothing else behind it.
import type { Pod } from 'kubernetes-types/core/v1';
import { defaultConfig, type ProfileConfig } from './config.js';
import { buildFramework } from './profile.js';
import { pluginRegistry } from './plugins/index.js';
import type { Framework } from './framework/runtime.js';
import type { Snapshot } from './framework/types.js';
import type { PreemptionHandle } from './plugins/default-preemption.js';

export function testFramework(
  snap: Snapshot,
  opts: { profile?: Partial<ProfileConfig>; evictVictim?: (victim: Pod) => void } = {},
): { fwk: Framework; handle: PreemptionHandle } {
  const handle: PreemptionHandle = {
    snapshot: () => snap,
    framework: () => fwk,
    nominatedPodsForNode: () => [],
    evictVictim: async (v: Pod) => opts.evictVictim?.(v),
    clearNomination: async () => {},
  };
  const fwk: Framework = buildFramework({ ...defaultConfig().profiles[0]!, ...opts.profile }, pluginRegistry(), handle);
  return { fwk, handle };
}
