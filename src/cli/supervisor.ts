// `berth server` runs the control plane in a child process under a thin supervisor, as k3s runs
// under systemd with Restart=always: a crash of the server process (an uncaught error, a V8
// heap or stack exhaustion, the OOM killer) takes every part down at once, and only a process
// outside it can bring it back. The supervisor holds no state and loads none of the server's
// code; it restarts a child that died after it had been serving (saying why, with back-off),
// forwards SIGTERM/SIGINT and exits with the child's exit code, so `berth server` is still one
// command, one log and one exit. A child that never got ready (bad flags, etcd unreachable, data
// dir in use) is not restarted: its one-line error and exit code are the command's.
import { fork, type ChildProcess } from 'node:child_process';
import { componentLogger, type Logger } from '../log/logger.js';

/** Messages the supervised server sends over the IPC channel. */
export type SupervisedMessage = { type: 'ready'; listen: string };

/** Set in the child's environment: it runs the server itself and watches its parent. */
export const SUPERVISED_ENV = 'BERTH_SUPERVISED';

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

/** Why a child process ended, in words for the log. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGKILL') return 'killed by SIGKILL (the kernel OOM killer or kill -9)';
  if (signal === 'SIGABRT' || code === 134) return 'aborted (a V8 fatal error such as heap out of memory; see its output above)';
  if (signal) return `killed by ${signal}`;
  if (code === 0) return 'exited cleanly';
  return `exited with code ${code} (an uncaught error; see its output above)`;
}

/** The restart delay after `crashes` crashes in a row: min, 2×min, 4×min, ... capped at max. */
export function restartDelay(crashes: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, crashes - 1));
}

export function superviseServer(opts: SupervisorOptions): Promise<number> {
  const log = opts.log ?? componentLogger('supervisor');
  const minBackoff = opts.minBackoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const healthyRun = opts.healthyRunMs ?? 60_000;
  let args = opts.args;
  let child: ChildProcess | undefined;
  let stopping: NodeJS.Signals | undefined;
  let crashes = 0;
  let restarts = 0;
  /** Whether any child got ready: until then a failure is the command's start-up error. */
  let everServed = false;
  let restartTimer: NodeJS.Timeout | undefined;

  return new Promise<number>((resolve) => {
    const start = () => {
      const startedAt = Date.now();
      let served = false;
      const c = fork(opts.script, args, {
        execArgv: opts.execArgv ?? process.execArgv,
        env: { ...process.env, [SUPERVISED_ENV]: '1' },
        stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      });
      child = c;
      // The first one is the command itself: nothing to say (a bad flag's error stays one line).
      if (restarts++ > 0) log(`server process ${c.pid} started (restart ${restarts - 1})`);
      c.on('message', (m: SupervisedMessage) => {
        if (m?.type !== 'ready') return;
        served = true;
        everServed = true;
        // A restarted server must answer where clients already point, also when the port was
        // picked at random (--listen HOST:0): the last --listen wins.
        args = [...opts.args, '--listen', m.listen];
      });
      c.on('exit', (code, signal) => {
        child = undefined;
        let why = describeExit(code, signal);
        const exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1);
        if (stopping) {
          if (code !== 0) log.warn(`server process ${c.pid} ${why} after ${stopping}`);
          return resolve(exitCode);
        }
        if (code === 0 || !everServed) {
          // A clean exit is the command's end; a first start that failed is a start-up error
          // (bad flags, etcd unreachable, data dir in use) to report, not to retry forever: the
          // child has said why in one line. After the server has served once, a restart that
          // fails before ready (etcd down just then) is retried like any crash.
          return resolve(exitCode);
        }
        crashes = Date.now() - startedAt >= healthyRun ? 1 : crashes + 1;
        const delay = restartDelay(crashes, minBackoff, maxBackoff);
        if (!served) why = `${why} before it was ready`;
        log.error(`server process ${c.pid} ${why}; restarting in ${delay} ms (crash ${crashes} in a row)`);
        restartTimer = setTimeout(start, delay);
      });
    };

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        child?.kill(signal);
        return;
      }
      stopping = signal;
      clearTimeout(restartTimer);
      if (!child) return resolve(0);
      const c = child;
      c.kill(signal);
      const timeout = opts.stopTimeoutMs ?? 30_000;
      setTimeout(() => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        log.warn(`server process ${c.pid} did not stop ${timeout / 1000} s after ${signal}; killing it`);
        c.kill('SIGKILL');
      }, timeout).unref();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    start();
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const n: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  return n[signal] ?? 1;
}

/**
 * In the supervised child: report readiness, and stop at once when the supervisor is gone
 * (killed with SIGKILL it cannot forward anything; the IPC channel closing is the only sign).
 */
export function superviseeHooks(): { ready(listen: string): void } | undefined {
  if (!process.env[SUPERVISED_ENV] || !process.send) return undefined;
  // The channel must not keep the server alive by itself, only tell it when the parent is gone.
  process.channel?.unref();
  process.on('disconnect', () => {
    componentLogger('server').warn('the supervisor is gone; stopping');
    // As abrupt as the supervisor's own end: the store (SQLite WAL or etcd) is safe, and pods
    // keep running for the next start to adopt.
    process.exit(1);
  });
  return {
    ready(listen) {
      process.send?.({ type: 'ready', listen } satisfies SupervisedMessage);
    },
  };
}
