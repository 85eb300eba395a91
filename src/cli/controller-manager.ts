// `berth controller-manager` and the controllers embedded in `berth server`: every controller
// runs behind one Lease (kube-system/kube-controller-manager), so several copies can run for
// availability and only the leader acts; a standby takes over when the leader's lease lapses.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { LeaderElector, RestClient } from '../client/index.js';
import { runControllers, type ControllerManagerOptions } from '../controllers/index.js';

export interface RunningControllerManager {
  stop(): Promise<void>;
  isLeader(): boolean;
}

export interface ControllerManagerFlags {
  kubeconfig?: string;
  leaderElect?: boolean;
  nodeMonitorGracePeriod?: string;
  terminatedPodGcThreshold?: string;
}

const log = (m: string): void => void process.stderr.write(`berth: controller-manager: ${m}\n`);

export function controllerOptions(flags: ControllerManagerFlags): ControllerManagerOptions {
  const opts: ControllerManagerOptions = {};
  if (flags.nodeMonitorGracePeriod !== undefined) {
    const s = Number(flags.nodeMonitorGracePeriod);
    if (!(s > 0)) throw new Error(`--node-monitor-grace-period must be a positive number of seconds, got "${flags.nodeMonitorGracePeriod}"`);
    opts.nodeLifecycle = { nodeMonitorGracePeriodMs: s * 1000 };
  }
  if (flags.terminatedPodGcThreshold !== undefined) {
    const n = Number(flags.terminatedPodGcThreshold);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--terminated-pod-gc-threshold must be a non-negative integer, got "${flags.terminatedPodGcThreshold}"`);
    opts.podGC = { terminatedPodThreshold: n };
  }
  return opts;
}

export function startControllerManager(client: RestClient, opts: ControllerManagerOptions & { leaderElect?: boolean; identity?: string } = {}): RunningControllerManager {
  const identity = opts.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  const run = (signal: AbortSignal) => runControllers(client, signal, log, opts).catch((e) => log(`stopped: ${(e as Error).message}`));
  if (opts.leaderElect === false) {
    const ctl = new AbortController();
    const done = run(ctl.signal);
    return {
      isLeader: () => true,
      async stop() {
        ctl.abort();
        await done;
      },
    };
  }
  let stopping = false;
  let elector: LeaderElector;
  const campaign = () => {
    elector = new LeaderElector({
      client,
      namespace: 'kube-system',
      name: 'kube-controller-manager',
      identity,
      onStartedLeading: (signal) => run(signal),
      onNewLeader: (who) => {
        if (who !== identity) log(`leader is ${who}`);
      },
      onStoppedLeading: () => {
        if (!stopping) setImmediate(campaign);
      },
      log,
    });
    void elector.run();
  };
  campaign();
  return {
    isLeader: () => elector.isLeader(),
    async stop() {
      stopping = true;
      await elector.stop();
    },
  };
}

/** `berth controller-manager --kubeconfig FILE`. */
export async function runControllerManagerCommand(flags: ControllerManagerFlags): Promise<void> {
  const opts = controllerOptions(flags);
  const client = RestClient.fromKubeconfig(flags.kubeconfig);
  const cm = startControllerManager(client, { ...opts, leaderElect: flags.leaderElect !== false });
  const shutdown = async (signal: string) => {
    log(`${signal} received, shutting down`);
    await cm.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.stderr.write('berth: controller-manager started\n');
}
