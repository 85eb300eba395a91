// `berth scheduler` (standalone, from a kubeconfig) and the scheduler embedded in `berth server`.
// Both campaign for the scheduler's Lease first, so that several copies can run and one acts.
import { hostname } from 'node:os';
import type { AddressInfo, Server } from 'node:net';
import { EventRecorder, RestClient, type SharedInformerFactory } from '../client/index.js';
import { runLeaderElected } from './leader-elected.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { SchedulerConfig } from '../scheduler/config.js';
import { loadSchedulerConfig } from './scheduler-config.js';
import { componentLogger } from '../log/logger.js';
import { serveMetrics } from '../metrics/registry.js';
import { parseListen } from './flags.js';
import { awaitParentGo, exitWithParent } from './restarting-child.js';
import { limitHeapGrowth } from './heap-growth.js';

export interface RunningScheduler {
  stop(): Promise<void>;
  /** Whether this copy holds the lease and schedules. */
  isLeader(): boolean;
}

const log = componentLogger('scheduler');

export function startScheduler(
  client: RestClient,
  config: SchedulerConfig,
  opts: { identity?: string; informers?: SharedInformerFactory } = {},
): RunningScheduler {
  const events = new EventRecorder({ client, component: config.profiles[0]!.schedulerName, host: hostname(), log });
  const sink = {
    event: (pod: Parameters<EventRecorder['event']>[0], type: 'Normal' | 'Warning', reason: string, message: string) =>
      events.event(pod, type, reason, message),
  };
  let current: Scheduler | undefined;
  const run = async (signal: AbortSignal) => {
    current = new Scheduler({ client, config, events: sink, log, informers: opts.informers });
    await current.start();
    await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
    const s = current;
    current = undefined;
    await s.stop();
  };
  const elected = runLeaderElected({
    client,
    lease: { namespace: config.leaderElection.resourceNamespace, name: config.leaderElection.resourceName },
    leaderElect: config.leaderElection.leaderElect,
    identity: opts.identity,
    log,
    run,
  });
  return {
    isLeader: () => elected.isLeader(),
    async stop() {
      await elected.stop();
      await events.flush();
    },
  };
}

/** `berth scheduler --kubeconfig FILE [--config FILE]`. */
export async function runSchedulerCommand(flags: { kubeconfig?: string; config?: string; metricsBindAddress: string }): Promise<void> {
  limitHeapGrowth();
  // Run by `berth server`: gone with it.
  exitWithParent(log, 'server');
  const config = loadSchedulerConfig(flags.config);
  const metricsAt = parseListen(flags.metricsBindAddress, '--metrics-bind-address');
  // Forked by `berth server` before its API listens: the kubeconfig is written when it says go.
  await awaitParentGo();
  const client = RestClient.fromKubeconfig(flags.kubeconfig);
  let s: RunningScheduler | undefined;
  let metrics: Server | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    // Ctrl-C reaches `berth server`'s whole process group: it and the server's SIGTERM are one stop.
    if (stopping) return;
    stopping = true;
    log(`${signal} received, shutting down`);
    await s?.stop();
    metrics?.close();
    client.close();
    process.exit(0);
  };
  // From the start: a stop while the metrics port opens is a clean stop too.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Diagnostics must not keep the scheduler from scheduling: a taken port is a warning (two
  // copies on one machine, the second a standby, is a normal set-up).
  metrics = await serveMetrics(metricsAt.host, metricsAt.port).then(
    (server) => {
      log(`serving metrics at http://${flags.metricsBindAddress.replace(/:\d+$/, `:${(server.address() as AddressInfo).port}`)}/metrics`);
      return server;
    },
    (e: Error) => void log.warn(`not serving metrics at ${flags.metricsBindAddress}: ${e.message}`),
  );
  if (stopping) return;
  s = startScheduler(client, config);
  log(`scheduler started (profiles: ${config.profiles.map((p) => p.schedulerName).join(', ')})`);
}
