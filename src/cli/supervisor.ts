// `berth server` runs the control plane in a child process under a thin supervisor, as k3s runs
// under systemd with Restart=always: a crash of the server process (an uncaught error, a V8
// heap or stack exhaustion, the OOM killer) takes every part down at once, and only a process
// outside it can bring it back. The supervisor holds no state and loads none of the server's
// code; it restarts a child that died after it had been serving (saying why, with back-off),
// forwards SIGTERM/SIGINT and exits with the child's exit code, so `berth server` is still one
// command, one log and one exit. A child that never got ready (bad flags, etcd unreachable, data
// dir in use) is not restarted: its one-line error and exit code are the command's.
import { componentLogger, type Logger } from '../log/logger.js';
import { exitWithParent, startRestartingChild } from './restarting-child.js';
import { gcFlags } from './gc-flags.js';

export { describeExit, restartDelay, SUPERVISED_ENV } from './restarting-child.js';

/** Messages the supervised server sends over the IPC channel. */
export type SupervisedMessage = { type: 'ready'; listen: string };

export interface SupervisorOptions {
  /** The berth entry script and the arguments of `berth server`. */
  script: string;
  args: string[];
  execArgv?: string[];
  log?: Logger;
  /** First restart delay; doubles per crash up to maxBackoffMs, reset after a long healthy run. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  healthyRunMs?: number;
  /** How long a stopping child may take before it is killed. */
  stopTimeoutMs?: number;
}

export function superviseServer(opts: SupervisorOptions): Promise<number> {
  let args = opts.args;
  const execArgv = opts.execArgv ?? process.execArgv;
  const server = startRestartingChild({
    ...opts,
    execArgv: [...execArgv, ...gcFlags(execArgv)],
    name: 'server process',
    args: () => args,
    stdin: 'inherit',
    log: opts.log ?? componentLogger('supervisor'),
    isReady: (m) => {
      const msg = m as SupervisedMessage | undefined;
      if (msg?.type !== 'ready') return false;
      // A restarted server must answer where clients already point, also when the port was
      // picked at random (--listen HOST:0): the last --listen wins.
      args = [...opts.args, '--listen', msg.listen];
      return true;
    },
    // A clean exit is the command's end; a first start that failed is a start-up error (bad
    // flags, etcd unreachable, data dir in use) to report, not to retry forever: the child has
    // said why in one line. After the server has served once, a restart that fails before ready
    // (etcd down just then) is retried like any crash.
    isFinal: (code, everReady) => code === 0 || !everReady,
  });
  process.on('SIGTERM', () => server.stop('SIGTERM'));
  process.on('SIGINT', () => server.stop('SIGINT'));
  return server.ended;
}

/**
 * In the supervised child: report readiness, and stop at once when the supervisor is gone
 * (killed with SIGKILL it cannot forward anything; the IPC channel closing is the only sign).
 */
export function superviseeHooks(): { ready(listen: string): void } | undefined {
  const parent = exitWithParent(componentLogger('server'), 'supervisor');
  if (!parent) return undefined;
  return {
    ready(listen) {
      parent.send({ type: 'ready', listen } satisfies SupervisedMessage);
    },
  };
}
