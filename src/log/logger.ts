// Berth's logger: pino underneath, one child per component (component=apiserver, scheduler, ...),
// and by default klog's text layout, so `berth server`'s output reads like a Kubernetes
// component's: `I1205 00:20:01.123456   12345 apiserver] msg key="value"`. `--log-format json`
// gives pino's JSON lines instead. Levels follow klog's verbosity: `--v 2` shows more, `--v 4`
// debug and `--v 6` trace; `--log-level` names the threshold directly.
//
// A Logger is also callable as `log(msg)` (info), so code that takes a plain `(msg) => void`
// callback accepts a logger unchanged. Writes are synchronous on stderr: a supervised server
// child and its supervisor share the stream, and whole lines must reach it before an exit.
import pino from 'pino';

export type Level = 'fatal' | 'error' | 'warn' | 'info' | 'verbose' | 'debug' | 'trace';
export type LogFormat = 'text' | 'json';
export type Fields = Record<string, unknown>;

/** Levels, most severe first, as the `--log-level` flag accepts them. */
export const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'verbose', 'debug', 'trace'];

/** pino's numbers, plus klog's V(2)-style "verbose" between info and debug. */
const LEVEL_VALUES: Record<Level, number> = { fatal: 60, error: 50, warn: 40, info: 30, verbose: 25, debug: 20, trace: 10 };
const LEVEL_BY_VALUE = new Map(Object.entries(LEVEL_VALUES).map(([k, v]) => [v, k as Level]));

export interface Logger {
  /** The same as `info`. */
  (msg: string, fields?: Fields): void;
  fatal(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  verbose(msg: string, fields?: Fields): void;
  debug(msg: string, fields?: Fields): void;
  trace(msg: string, fields?: Fields): void;
  /** Whether a message at this level would be written: guard costly messages in hot loops. */
  enabled(level: Level): boolean;
  /** A logger whose lines carry these fields too (e.g. {node: 'n1'}). */
  child(fields: Fields): Logger;
}

/**
 * What code that takes a plain `(msg) => void` callback (tests hand it one) may be given: a
 * Logger is one. `warnOf`/`errorOf` pick the level when the callback is a Logger.
 */
export type LogFn = ((msg: string) => void) & Partial<Pick<Logger, 'warn' | 'error'>>;

export const warnOf = (log: LogFn): ((msg: string) => void) => log.warn ?? log;
export const errorOf = (log: LogFn): ((msg: string) => void) => log.error ?? log;

export interface LogConfig {
  format: LogFormat;
  level: Level;
}

/** The threshold for klog's `-v N`: 0–1 info, 2–3 verbose, 4–5 debug, 6 and above trace. */
export function levelForVerbosity(v: number): Level {
  if (v >= 6) return 'trace';
  if (v >= 4) return 'debug';
  if (v >= 2) return 'verbose';
  return 'info';
}

/**
 * The logging flags of every `berth` command: `--log-level` wins over `--v`; both absent is
 * info. Bad values are errors with the flag's name, for the CLI's one-line message.
 */
export function parseLogFlags(flags: { logFormat?: string; logLevel?: string; v?: string }): LogConfig {
  const format = flags.logFormat ?? 'text';
  if (format !== 'text' && format !== 'json') throw new Error(`--log-format must be text or json, got "${format}"`);
  let level: Level = 'info';
  if (flags.v !== undefined) {
    if (!/^\d+$/.test(flags.v)) throw new Error(`--v must be a whole number (0 info, 2 more, 4 debug, 6 trace), got "${flags.v}"`);
    level = levelForVerbosity(Number(flags.v));
  }
  if (flags.logLevel !== undefined) {
    if (!(LEVELS as readonly string[]).includes(flags.logLevel)) throw new Error(`--log-level must be one of ${LEVELS.join(', ')}; got "${flags.logLevel}"`);
    level = flags.logLevel as Level;
  }
  return { format, level };
}

const KLOG_LETTER: Record<Level, string> = { fatal: 'F', error: 'E', warn: 'W', info: 'I', verbose: 'I', debug: 'I', trace: 'I' };
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** klog's header: severity letter, MMDD, wall time to the microsecond (ours end in 000), pid. */
export function klogHeader(level: Level, time: Date, pid: number): string {
  const date = `${pad(time.getMonth() + 1, 2)}${pad(time.getDate(), 2)}`;
  const clock = `${pad(time.getHours(), 2)}:${pad(time.getMinutes(), 2)}:${pad(time.getSeconds(), 2)}.${pad(time.getMilliseconds(), 3)}000`;
  return `${KLOG_LETTER[level]}${date} ${clock} ${String(pid).padStart(7)}`;
}

/** A value as klog's structured logging prints it: strings quoted, errors by message. */
function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return String(v);
  return JSON.stringify(v);
}

/** One record in klog's text layout: `I1205 00:20:01.123000   12345 component] msg k="v"`. */
export function formatText(level: Level, time: Date, pid: number, component: string, msg: string, fields: Fields): string {
  let line = `${klogHeader(level, time, pid)} ${component}] ${msg}`;
  for (const [k, v] of Object.entries(fields)) line += ` ${k}=${formatValue(v)}`;
  return line + '\n';
}

/** The fields pino adds itself, which the text layout prints in its header instead. */
const HEADER_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'component', 'msg']);

/** A pino destination that rewrites its JSON records in klog's layout. */
function textDestination(out: { write(s: string): unknown }): { write(s: string): void } {
  return {
    write(record: string) {
      const r = JSON.parse(record) as Fields;
      const fields: Fields = {};
      for (const [k, v] of Object.entries(r)) if (!HEADER_KEYS.has(k)) fields[k] = v;
      const level = LEVEL_BY_VALUE.get(r.level as number) ?? 'info';
      out.write(formatText(level, new Date(r.time as number), r.pid as number, String(r.component ?? 'berth'), String(r.msg ?? ''), fields));
    },
  };
}

/** Errors as their messages: JSON would print an Error as {}. */
function plainErrors(fields: Fields): Fields {
  for (const v of Object.values(fields)) {
    if (v instanceof Error) return Object.fromEntries(Object.entries(fields).map(([k, x]) => [k, x instanceof Error ? x.message : x]));
  }
  return fields;
}

function wrap(p: pino.Logger<'verbose'>): Logger {
  const at = (level: Level) => (msg: string, fields?: Fields) => {
    if (fields) p[level](plainErrors(fields), msg);
    else p[level](msg);
  };
  const log = at('info') as Logger;
  for (const level of LEVELS) log[level] = at(level);
  log.enabled = (level) => p.isLevelEnabled(level);
  log.child = (fields) => wrap(p.child(fields));
  return log;
}

export interface RootOptions extends Partial<LogConfig> {
  /** Where lines go (default: stderr, synchronously). */
  out?: { write(s: string): unknown };
}

/** A root logger; components take `root.child({component})` (see `componentLogger`). */
export function createLogger(opts: RootOptions = {}): Logger {
  const format = opts.format ?? 'text';
  const out = opts.out ?? pino.destination({ fd: 2, sync: true });
  const p = pino<'verbose'>(
    {
      level: opts.level ?? 'info',
      customLevels: { verbose: LEVEL_VALUES.verbose },
      base: { pid: process.pid },
      // Level names rather than numbers in JSON: readable, and what log collectors expect.
      formatters: format === 'json' ? { level: (label) => ({ level: label }) } : {},
    },
    format === 'text' ? textDestination(out) : (out as pino.DestinationStream),
  );
  return wrap(p);
}

let root: Logger | undefined;
/** Bumped by `configureLogging`, so component loggers made before it follow the new settings. */
let generation = 0;

/** Sets the process's logging from the command's flags. */
export function configureLogging(config: Partial<LogConfig> & Pick<RootOptions, 'out'>): void {
  root = createLogger(config);
  generation++;
}

/**
 * The logger of one component of this process: `component` is a field of every line. Modules
 * may make theirs at load time; it binds to the configured root at its first line.
 */
export function componentLogger(component: string): Logger {
  let bound: Logger | undefined;
  let boundTo = -1;
  const get = (): Logger => {
    if (boundTo !== generation) {
      root ??= createLogger();
      bound = root.child({ component });
      boundTo = generation;
    }
    return bound!;
  };
  const log = ((msg: string, fields?: Fields) => get().info(msg, fields)) as Logger;
  for (const level of LEVELS) log[level] = (msg, fields) => get()[level](msg, fields);
  log.enabled = (level) => get().enabled(level);
  log.child = (fields) => get().child(fields);
  return log;
}
