// A child process (a fork of the berth entry script) that is started again when it dies, with
// back-off and the reason in the log: `berth server`'s supervisor keeps its server process so,
// and the server keeps its scheduler and controller-manager processes so. The child gets an IPC
// channel: through it, it tells its parent it is ready, and by its closing it learns that the
// parent is gone (see exitWithParent), so that no child outlives a parent killed with -9.
import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import type { Logger } from '../log/logger.js';

/** Set in a child's environment: it runs under a parent that keeps it and watches that parent. */
export const SUPERVISED_ENV = 'BERTH_SUPERVISED';

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

export interface RestartingChildOptions {
  /** What the log calls the child: "server process", "scheduler process". */
  name: string;
  /** The berth entry script, and the arguments of each start (they may change from one to the next). */
  script: string;
  args: () => string[];
  execArgv?: string[];
  /** The child's stdin: the supervisor's server reads the terminal's, components none. */
  stdin?: 'inherit' | 'ignore';
  log: Logger;
  /** First restart delay; doubles per crash up to maxBackoffMs, reset after a long healthy run. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  healthyRunMs?: number;
  /** How long a stopping child may take before it is killed. */
  stopTimeoutMs?: number;
  /** More environment for the child. */
  env?: Record<string, string>;
  /** Every message from the child, with a way to answer it. */
  onMessage?: (message: unknown, reply: (message: Serializable) => void) => void;
  /** Whether a message from the child says it is ready (with the message, for the caller). */
  isReady?: (message: unknown) => boolean;
  /**
   * Whether an exit that no stop asked for ends the keeping instead of a restart. everReady:
   * whether any start of the child got ready. Default: every such exit is restarted.
   */
  isFinal?: (code: number | null, everReady: boolean) => boolean;
}

export interface RestartingChild {
  /** The running child's pid (undefined between a crash and its restart). */
  pid(): number | undefined;
  /** SIGNAL to the child, SIGKILL after the stop timeout; no restart after. A second call forwards the signal again. */
  stop(signal: NodeJS.Signals): void;
  /** The exit code of the last run once the keeping has ended: after stop(), or a final exit. */
  readonly ended: Promise<number>;
}

export function startRestartingChild(o: RestartingChildOptions): RestartingChild {
  const minBackoff = o.minBackoffMs ?? 500;
  const maxBackoff = o.maxBackoffMs ?? 30_000;
  const healthyRun = o.healthyRunMs ?? 60_000;
  let child: ChildProcess | undefined;
  let stopping: NodeJS.Signals | undefined;
  let crashes = 0;
  let starts = 0;
  let everReady = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let end!: (code: number) => void;
  const ended = new Promise<number>((r) => (end = r));

  const start = () => {
    const startedAt = Date.now();
    let ready = false;
    const c = fork(o.script, o.args(), {
      execArgv: o.execArgv ?? process.execArgv,
      env: { ...process.env, ...o.env, [SUPERVISED_ENV]: '1' },
      stdio: [o.stdin ?? 'ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = c;
    // The first one is part of the command itself: nothing to say.
    if (starts++ > 0) o.log(`${o.name} ${c.pid} started (restart ${starts - 1})`);
    c.on('message', (m: unknown) => {
      // A child gone meanwhile misses the answer; its exit is handled below.
      o.onMessage?.(m, (answer) => c.connected && c.send(answer, () => undefined));
      if (!o.isReady?.(m)) return;
      ready = true;
      everReady = true;
    });
    // A failed send or kill: the exit (if any) is what counts, and is handled below.
    c.on('error', (e) => o.log.verbose(`${o.name} ${c.pid}: ${e.message}`));
    c.on('exit', (code, signal) => {
      child = undefined;
      let why = describeExit(code, signal);
      const exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1);
      if (stopping) {
        if (code !== 0) o.log.warn(`${o.name} ${c.pid} ${why} after ${stopping}`);
        return end(exitCode);
      }
      if (o.isFinal?.(code, everReady)) return end(exitCode);
      crashes = Date.now() - startedAt >= healthyRun ? 1 : crashes + 1;
      const delay = restartDelay(crashes, minBackoff, maxBackoff);
      if (o.isReady && !ready) why = `${why} before it was ready`;
      o.log.error(`${o.name} ${c.pid} ${why}; restarting in ${delay} ms (crash ${crashes} in a row)`);
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
    if (!child) return end(0);
    const c = child;
    c.kill(signal);
    const timeout = o.stopTimeoutMs ?? 30_000;
    setTimeout(() => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      o.log.warn(`${o.name} ${c.pid} did not stop ${timeout / 1000} s after ${signal}; killing it`);
      c.kill('SIGKILL');
    }, timeout).unref();
  };

  start();
  return { pid: () => child?.pid, stop, ended };
}

function signalNumber(signal: NodeJS.Signals): number {
  const n: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  return n[signal] ?? 1;
}

/**
 * In a kept child: stop at once when the parent is gone (killed with SIGKILL it cannot stop its
 * children; the IPC channel closing is the only sign). Returns the channel to the parent, or
 * undefined when this process is not a kept child.
 */
export function exitWithParent(log: Logger, parent: string): { send(message: unknown): void } | undefined {
  if (!process.env[SUPERVISED_ENV] || !process.send) return undefined;
  const gone = () => {
    // One that had not begun (its parent failed to start) has nothing to say: the parent's error is the line.
    if (waitingForGo) process.exit(1);
    log.warn(`the ${parent} is gone; stopping`);
    // As abrupt as the parent's own end: the store (SQLite WAL or etcd) is safe, and pods keep
    // running for the next start to adopt.
    process.exit(1);
  };
  // Gone while this process was still loading its code: the event has passed already.
  if (!process.connected) gone();
  // The channel must not keep the process alive by itself, only tell it when the parent is gone.
  process.channel?.unref();
  process.on('disconnect', gone);
  return { send: (m) => process.send?.(m) };
}

/** Set in a kept child's environment: it waits for its parent's go before it begins. */
export const AWAIT_GO_ENV = 'BERTH_AWAIT_GO';

/** The messages of the go handshake: the child says it waits, the parent says go. */
export type GoMessage = { type: 'waiting' } | { type: 'go' };

let waitingForGo = false;

/**
 * In a kept child started before what it needs exists (`berth server` forks its components
 * before its API listens, so that they load their code meanwhile): resolves once the parent says
 * go. Until then a stop signal ends it quietly: it had not begun.
 */
export function awaitParentGo(): Promise<void> {
  if (!process.env[AWAIT_GO_ENV] || !process.send) return Promise.resolve();
  waitingForGo = true;
  // The channel is all that keeps this process alive while it waits (exitWithParent unrefs it).
  process.channel?.ref();
  const quietStop = () => process.exit(0);
  process.on('SIGTERM', quietStop);
  process.on('SIGINT', quietStop);
  return new Promise((resolve) => {
    const onMessage = (m: GoMessage) => {
      if (m?.type !== 'go') return;
      process.off('message', onMessage);
      process.off('SIGTERM', quietStop);
      process.off('SIGINT', quietStop);
      waitingForGo = false;
      process.channel?.unref();
      resolve();
    };
    process.on('message', onMessage);
    // Asked only once listening: a go sent earlier would be lost.
    process.send!({ type: 'waiting' } satisfies GoMessage);
  });
}
