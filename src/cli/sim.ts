// `berth sim --kubeconfig FILE --nodes N [...]`: simulated nodes (kwok-like) against a cluster.
import { isValidQuantity } from '../api/quantity.js';
import { RestClient } from '../client/index.js';
import { componentLogger } from '../log/logger.js';
import {
  DEFAULT_SIMULATOR_OPTIONS,
  NodeCidrAllocator,
  generatedZones,
  parseGoDuration,
  regionOfZone,
  startSimulator,
  type Simulator,
  type SimulatorOptions,
} from '../sim/index.js';

export interface SimFlags {
  kubeconfig?: string;
  nodes?: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
  /** A number of zones, or their names separated by commas. */
  zones?: string;
  region?: string;
  namePrefix?: string;
  /** Milliseconds, or a Go duration ("1s"). */
  startDelay?: string;
  podCidr?: string;
  crashBackoffScale?: string;
}

const log = componentLogger('sim');

/** A /16 holds 256 node /24s; a larger simulation gets 10.0.0.0/8 unless a range was given. */
const LARGE_POD_CIDR = '10.0.0.0/8';

/** The simulator's options from the command line; throws with a message naming the bad flag. */
export function simOptionsFromFlags(flags: SimFlags): Omit<SimulatorOptions, 'log'> {
  const d = DEFAULT_SIMULATOR_OPTIONS;
  const nodes = Number(flags.nodes);
  if (flags.nodes === undefined || !/^\d+$/.test(flags.nodes) || nodes < 1)
    throw new Error(`--nodes must be a positive whole number, not "${flags.nodes ?? ''}"`);
  for (const [flag, v] of [
    ['--cpu', flags.cpu],
    ['--memory', flags.memory],
    ['--ephemeral-storage', flags.ephemeralStorage],
  ] as const) {
    if (v !== undefined && !isValidQuantity(v)) throw new Error(`${flag} "${v}" is not a quantity (e.g. 32, 500m, 256Gi)`);
  }
  if (flags.pods !== undefined && !/^[1-9]\d*$/.test(flags.pods)) throw new Error(`--pods must be a positive whole number, not "${flags.pods}"`);

  let zones: string[];
  let region = flags.region;
  const z = flags.zones?.trim() ?? '1';
  if (/^\d+$/.test(z)) {
    if (Number(z) < 1) throw new Error('--zones must be at least 1');
    region ??= d.region;
    zones = generatedZones(Number(z), region);
  } else {
    zones = z
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (zones.length === 0) throw new Error('--zones needs a number or zone names');
    region ??= regionOfZone(zones[0]!) ?? d.region;
  }

  let startDelayMs = d.startDelayMs;
  if (flags.startDelay !== undefined) {
    const ms = /^\d+$/.test(flags.startDelay) ? Number(flags.startDelay) : parseGoDuration(flags.startDelay);
    if (ms === undefined || ms < 0) throw new Error(`--start-delay must be milliseconds or a duration such as 2s, not "${flags.startDelay}"`);
    startDelayMs = ms;
  }
  let backoffScale = d.backoffScale;
  if (flags.crashBackoffScale !== undefined) {
    backoffScale = Number(flags.crashBackoffScale);
    if (!(backoffScale > 0)) throw new Error(`--crash-backoff-scale must be a number above 0, not "${flags.crashBackoffScale}"`);
  }
  const podCidr = (flags.podCidr ?? (nodes > 256 ? LARGE_POD_CIDR : d.podCidr)).trim();
  // A bad or too small range is refused before anything is registered.
  const ranges = new NodeCidrAllocator(podCidr, d.nodeCidrMaskSize).capacity;
  if (ranges < nodes)
    throw new Error(
      `--pod-cidr ${podCidr} has room for ${ranges} nodes (a /${d.nodeCidrMaskSize} each), not ${nodes}: give a larger range, such as ${LARGE_POD_CIDR}`,
    );

  return {
    ...d,
    nodes,
    namePrefix: flags.namePrefix ?? d.namePrefix,
    zones,
    region,
    cpu: flags.cpu ?? d.cpu,
    memory: flags.memory ?? d.memory,
    pods: flags.pods ?? d.pods,
    ephemeralStorage: flags.ephemeralStorage ?? d.ephemeralStorage,
    podCidr,
    startDelayMs,
    backoffScale,
  };
}

/** `berth sim`: registers the nodes, then runs until SIGTERM/SIGINT (the nodes stay registered). */
export async function runSimCommand(flags: SimFlags): Promise<void> {
  const opts = simOptionsFromFlags(flags);
  // Registration and heartbeats keep many requests in flight: a pool to match.
  const client = RestClient.fromKubeconfig(flags.kubeconfig, { maxSockets: opts.concurrency + opts.podWorkers, userAgent: 'berth-sim' });
  let sim: Simulator;
  try {
    sim = await startSimulator(client, { ...opts, log });
  } catch (e) {
    client.close();
    throw e;
  }
  log(
    `${sim.nodes.length} nodes registered in ${(sim.registrationMs / 1000).toFixed(1)} s ` +
      `(${opts.namePrefix}0..${opts.namePrefix}${opts.nodes - 1}, zones ${opts.zones.join(',')}, pod range ${opts.podCidr}); running`,
  );
  let last = '';
  const report = setInterval(() => {
    const s = sim.stats();
    const line = `leases renewed ${s.leases.renewals} (failed ${s.leases.failures}), node status reports ${s.nodeStatus.reports} (failed ${s.nodeStatus.failures}), pods ${s.pods.pods}, status writes ${s.pods.statusWrites}, deletes ${s.pods.deletes}`;
    if (line !== last) log(line);
    last = line;
  }, 60_000);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received: stopping (the nodes stay registered; their leases will expire)`);
    clearInterval(report);
    await sim.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
