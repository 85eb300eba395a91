// A scheduler configuration read and checked, in a module of its own: `berth server` checks the
// configuration of a scheduler it runs in another process without loading the scheduler (whose
// metrics would then be in the API server's registry too).
import { defaultConfig, loadConfigFile, type SchedulerConfig } from '../scheduler/config.js';
import { buildFramework } from '../scheduler/profile.js';
import { pluginRegistry } from '../scheduler/plugins/index.js';

/** Reads and checks a configuration file: every profile must build. Throws ConfigError. */
export function loadSchedulerConfig(path: string | undefined): SchedulerConfig {
  const config = path ? loadConfigFile(path) : defaultConfig();
  // Build each profile once against a dummy handle, so a bad plugin or arg fails at start.
  const registry = pluginRegistry();
  const handle = {
    snapshot: () => {
      throw new Error('not running');
    },
  } as never;
  for (const p of config.profiles) buildFramework(p, registry, handle);
  return config;
}
