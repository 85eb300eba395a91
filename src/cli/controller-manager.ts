// `berth controller-manager` and the controllers embedded in `berth server`: every controller
// runs behind one Lease (kube-system/kube-controller-manager), so several copies can run for
// availability and only the leader acts; a standby takes over when the leader's lease lapses.
import { readFileSync } from 'node:fs';
import { RestClient } from '../client/index.js';
import { runLeaderElected, type LeaderElected } from './leader-elected.js';
import { CONTROLLER_NAMES, runControllers, type ControllerManagerOptions, type ControllerName } from '../controllers/index.js';
import { ensureServiceAccounts } from '../controllers/service-accounts.js';
import { CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNTS, controllerIdentity, controllerServiceAccounts } from '../api/component-identities.js';
import { ComponentClients } from './component-clients.js';
import { nodeIpamOptions, type NodeIpamFlags } from './node-ipam-flags.js';
import { componentLogger } from '../log/logger.js';
import { awaitParentGo, exitWithParent } from './restarting-child.js';
import { limitHeapGrowth } from './heap-growth.js';

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

/**
 * client: the manager's own (leader election, shared informers, the controllers' ServiceAccounts);
 * opts.clientFor, when given, each controller's.
 */
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
    run: async (signal) => {
      // As upstream's service-account client builder: each account a controller acts as exists.
      if (opts.clientFor) await ensureServiceAccounts(client, CONTROLLER_NAMESPACE, controllerServiceAccounts(), signal, log);
      await runControllers(client, signal, log, opts);
    },
  });
}

/** Each controller's own client, its ServiceAccount's certificate from the factory, made up front. */
export async function controllerClients(clients: ComponentClients): Promise<(controller: ControllerName) => RestClient> {
  // Issued side by side: key generation and signing run on libuv's threads.
  const made = await Promise.all(
    CONTROLLER_NAMES.map(
      async (name) => [name, await clients.clientFor(controllerIdentity(name), `berth-controller-manager/${CONTROLLER_SERVICE_ACCOUNTS[name]}`)] as const,
    ),
  );
  const byName = new Map<ControllerName, RestClient>(made);
  return (name) => byName.get(name)!;
}

/** `berth controller-manager --kubeconfig FILE`. */
export async function runControllerManagerCommand(flags: ControllerManagerFlags): Promise<void> {
  limitHeapGrowth();
  // Run by `berth server`: gone with it.
  exitWithParent(log, 'server');
  const opts = controllerOptions(flags);
  // Forked by `berth server` before its API listens: the kubeconfig is written when it says go.
  await awaitParentGo();
  const client = RestClient.fromKubeconfig(flags.kubeconfig, { userAgent: 'berth-controller-manager' });
  // Holding the cluster CA (to sign CSRs), it gives each controller its own identity as `berth
  // server` does; without it every controller acts as the kubeconfig's user.
  const identities = opts.csrSigning ? new ComponentClients({ connection: client.options, signer: opts.csrSigning.ca }) : undefined;
  let cm: RunningControllerManager | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    // Ctrl-C reaches `berth server`'s whole process group: it and the server's SIGTERM are one stop.
    if (stopping) return;
    stopping = true;
    log(`${signal} received, shutting down`);
    await cm?.stop();
    await identities?.close();
    client.close();
    process.exit(0);
  };
  // From the start: a stop while the identities are issued is a clean stop too.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const clientFor = identities ? await controllerClients(identities) : undefined;
  if (stopping) return;
  cm = startControllerManager(client, { ...opts, clientFor, leaderElect: flags.leaderElect !== false });
  log('controller-manager started');
}
