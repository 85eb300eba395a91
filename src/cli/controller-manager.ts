// `berth controller-manager` and the controllers embedded in `berth server`: every controller
// runs behind one Lease (kube-system/kube-controller-manager), so several copies can run for
// availability and only the leader acts; a standby takes over when the leader's lease lapses.
import { readFileSync } from 'node:fs';
import { RestClient } from '../client/index.js';
import { runLeaderElected, type LeaderElected } from './leader-elected.js';
import { runControllers, type ControllerManagerOptions } from '../controllers/index.js';
import { nodeIpamOptions, type NodeIpamFlags } from './node-ipam-flags.js';
import { componentLogger } from '../log/logger.js';

export type RunningControllerManager = LeaderElected;

export interface ControllerManagerFlags extends NodeIpamFlags {
  kubeconfig?: string;
  leaderElect?: boolean;
  nodeMonitorGracePeriod?: string;
  terminatedPodGcThreshold?: string;
  clusterSigningCertFile?: string;
  clusterSigningKeyFile?: string;
  maxEndpointsPerSlice?: string;
}

const log = componentLogger('controller-manager');

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
  opts.nodeIpam = nodeIpamOptions(flags);
  if (flags.maxEndpointsPerSlice !== undefined) {
    const n = Number(flags.maxEndpointsPerSlice);
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw new Error(`--max-endpoints-per-slice must be an integer from 1 to 1000, got "${flags.maxEndpointsPerSlice}"`);
    opts.endpointSlice = { maxEndpointsPerSlice: n };
  }
  const cert = flags.clusterSigningCertFile;
  const key = flags.clusterSigningKeyFile;
  if (!cert !== !key) throw new Error('--cluster-signing-cert-file and --cluster-signing-key-file go together');
  if (cert && key) {
    const read = (f: string, flag: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch (e) {
        throw new Error(`${flag} ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
    };
    opts.csrSigning = { ca: { cert: read(cert, '--cluster-signing-cert-file'), key: read(key, '--cluster-signing-key-file') } };
  }
  return opts;
}

export function startControllerManager(
  client: RestClient,
  opts: ControllerManagerOptions & { leaderElect?: boolean; identity?: string } = {},
): RunningControllerManager {
  return runLeaderElected({
    client,
    lease: { namespace: 'kube-system', name: 'kube-controller-manager' },
    leaderElect: opts.leaderElect !== false,
    identity: opts.identity,
    log,
    run: (signal) => runControllers(client, signal, log, opts),
  });
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
  log('controller-manager started');
}
