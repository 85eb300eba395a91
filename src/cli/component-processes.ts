// `berth server` on a machine of several cores: the scheduler and the controller manager each run
// in a process of their own (the `berth scheduler` and `berth controller-manager` commands, forked
// from the same entry script), so that the API server, the scheduler and the controllers each
// have a core, as upstream runs kube-apiserver, kube-scheduler and kube-controller-manager apart.
// One JavaScript thread carrying all three was measured 2-4x slower (issue #17). The server keeps
// them: a crashed one is started again with back-off, and they stop when the server stops (or
// dies: their IPC channel closes). They connect with the kubeconfigs the server writes for them,
// and get the flags `berth server` was given for them, so they behave as the embedded ones do.
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { AWAIT_GO_ENV, startRestartingChild, type GoMessage, type RestartingChild } from './restarting-child.js';
import type { NodeIpamFlags } from './node-ipam-flags.js';
import { gcFlags } from './gc-flags.js';

/** klog's flags as every berth command takes them. */
export interface LogFlags {
  v?: string;
  logLevel?: string;
  logFormat?: string;
}

export interface ControllerManagerChildFlags extends NodeIpamFlags {
  nodeMonitorGracePeriod?: string;
  maxEndpointsPerSlice?: string;
}

export interface ComponentProcessesOptions {
  /** The berth entry script (process.argv[1]). */
  script: string;
  dataDir: string;
  log: Logger;
  logFlags: LogFlags;
  /** Absent: no scheduler (--disable-scheduler). */
  scheduler?: { configFile?: string; metricsBindAddress: string };
  /** Absent: no controller manager (--disable-controller-manager). */
  controllerManager?: ControllerManagerChildFlags;
  /** How long a child may take to stop after SIGTERM before it is killed. */
  stopTimeoutMs?: number;
}

/** `--flag value` for each flag that was given. */
function given(pairs: [flag: string, value: string | undefined][]): string[] {
  return pairs.flatMap(([flag, value]) => (value === undefined ? [] : [flag, value]));
}

function logArgs(f: LogFlags): string[] {
  return given([
    ['--v', f.v],
    ['--log-level', f.logLevel],
    ['--log-format', f.logFormat],
  ]);
}

export function schedulerArgs(dataDir: string, s: NonNullable<ComponentProcessesOptions['scheduler']>, logFlags: LogFlags): string[] {
  return [
    'scheduler',
    '--kubeconfig',
    join(dataDir, 'scheduler.kubeconfig'),
    '--metrics-bind-address',
    s.metricsBindAddress,
    ...given([['--config', s.configFile]]),
    ...logArgs(logFlags),
  ];
}

export function controllerManagerArgs(dataDir: string, f: ControllerManagerChildFlags, logFlags: LogFlags): string[] {
  return [
    'controller-manager',
    '--kubeconfig',
    join(dataDir, 'controller-manager.kubeconfig'),
    // The cluster CA, as the embedded controller manager holds it: it signs approved kubelet
    // CSRs and gives each controller its own identity.
    '--cluster-signing-cert-file',
    join(dataDir, 'pki', 'ca.crt'),
    '--cluster-signing-key-file',
    join(dataDir, 'pki', 'ca.key'),
    ...given([
      ['--node-monitor-grace-period', f.nodeMonitorGracePeriod],
      ['--cluster-cidr', f.clusterCidr],
      ['--node-cidr-mask-size', f.nodeCidrMaskSize],
      ['--max-endpoints-per-slice', f.maxEndpointsPerSlice],
    ]),
    // An optional value: `--allocate-node-cidrs false` would leave "false" as a stray argument.
    ...(f.allocateNodeCidrs === undefined ? [] : [`--allocate-node-cidrs=${String(f.allocateNodeCidrs)}`]),
    ...logArgs(logFlags),
  ];
}

export interface ComponentProcesses {
  /** The running children's pids, by component. */
  pids(): { scheduler?: number; controllerManager?: number };
  /** The kubeconfigs are written: the children (and any restarted later) begin. */
  go(): void;
  /** SIGTERM to each, SIGKILL after the stop timeout; resolves once both have exited. */
  stop(): Promise<void>;
}

export function startComponentProcesses(o: ComponentProcessesOptions): ComponentProcesses {
  // Forked before the server's API listens, they load their code meanwhile and wait for go.
  let released = false;
  const waiting: Array<(m: GoMessage) => void> = [];
  const onMessage = (m: unknown, reply: (m: GoMessage) => void) => {
    if ((m as GoMessage | undefined)?.type !== 'waiting') return;
    if (released) reply({ type: 'go' });
    else waiting.push(reply);
  };
  // node's own flags (heap size...) hold for them too, but an inspector port is the server's alone.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  const keep = (name: string, args: string[]): RestartingChild =>
    startRestartingChild({
      name,
      script: o.script,
      args: () => args,
      env: { [AWAIT_GO_ENV]: '1' },
      onMessage,
      execArgv: [...execArgv, ...gcFlags(execArgv)],
      log: o.log,
      stopTimeoutMs: o.stopTimeoutMs ?? 10_000,
    });
  const scheduler = o.scheduler && keep('scheduler process', schedulerArgs(o.dataDir, o.scheduler, o.logFlags));
  const controllerManager = o.controllerManager && keep('controller-manager process', controllerManagerArgs(o.dataDir, o.controllerManager, o.logFlags));
  return {
    pids: () => ({ scheduler: scheduler?.pid(), controllerManager: controllerManager?.pid() }),
    go() {
      released = true;
      for (const reply of waiting.splice(0)) reply({ type: 'go' });
    },
    async stop() {
      const kept = [scheduler, controllerManager].filter((c): c is RestartingChild => c !== undefined);
      for (const c of kept) c.stop('SIGTERM');
      await Promise.all(kept.map((c) => c.ended));
    },
  };
}
