import assert from 'node:assert/strict';
import { test } from 'node:test';
import { componentLogger, configureLogging, createLogger, errorOf, formatText, klogHeader, levelForVerbosity, parseLogFlags, warnOf } from './logger.ts';

/** A logger writing into an array, one entry per line. */
function capture(opts: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  return { lines, log: createLogger({ ...opts, out: { write: (s: string) => lines.push(s) } }) };
}

test('klog header: severity letter, MMDD, time to the microsecond, pid right-aligned in 7', () => {
  const t = new Date(2026, 11, 5, 0, 20, 1, 123);
  assert.equal(klogHeader('info', t, 12345), 'I1205 00:20:01.123000   12345');
  assert.equal(klogHeader('warn', t, 7), 'W1205 00:20:01.123000       7');
  assert.equal(klogHeader('error', new Date(2026, 0, 9, 9, 5, 3, 4), 1), 'E0109 09:05:03.004000       1');
  // klog prints V-level lines with I.
  assert.equal(klogHeader('debug', t, 1)[0], 'I');
});

test('text layout: component in place of file:line, then the message and key=value pairs (strings quoted)', () => {
  const t = new Date(2026, 11, 5, 0, 20, 1, 123);
  assert.equal(
    formatText('info', t, 42, 'scheduler', 'bound pod', { pod: 'default/web-1', node: 'n1', attempts: 2, ok: true, obj: { a: 1 } }),
    'I1205 00:20:01.123000      42 scheduler] bound pod pod="default/web-1" node="n1" attempts=2 ok=true obj={"a":1}\n',
  );
  assert.equal(formatText('warn', t, 42, 'agent', 'a "quoted" word', {}), 'W1205 00:20:01.123000      42 agent] a "quoted" word\n');
});

test('a logger writes klog text by default, with its fields, child fields and errors by message', () => {
  const { lines, log } = capture();
  const agent = log.child({ component: 'agent' });
  agent('node registered', { node: 'n1' });
  agent.error('sync failed', { pod: 'default/p', err: new Error('no such image') });
  agent.child({ node: 'n2' }).warn('lease late');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, new RegExp(`^I\\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{6} +${process.pid} agent\\] node registered node="n1"\\n$`));
  assert.match(lines[1]!, /^E\d{4} .* agent\] sync failed pod="default\/p" err="no such image"\n$/);
  assert.match(lines[2]!, /^W\d{4} .* agent\] lease late node="n2"\n$/);
});

test('levels: below the threshold nothing is written; enabled() says so', () => {
  const { lines, log } = capture({ level: 'verbose' });
  log.trace('t');
  log.debug('d');
  log.verbose('v');
  log.info('i');
  log.error('e');
  assert.deepEqual(
    lines.map((l) => /\] (\w)\n$/.exec(l)?.[1]),
    ['v', 'i', 'e'],
  );
  assert.equal(log.enabled('debug'), false);
  assert.equal(log.enabled('verbose'), true);
});

test('json format: one JSON object per line with level names, component, msg and fields', () => {
  const { lines, log } = capture({ format: 'json', level: 'debug' });
  log.child({ component: 'apiserver' }).debug('watch ended', { resource: 'pods', err: new Error('gone') });
  assert.equal(lines.length, 1);
  const r = JSON.parse(lines[0]!);
  assert.equal(r.level, 'debug');
  assert.equal(r.component, 'apiserver');
  assert.equal(r.msg, 'watch ended');
  assert.equal(r.resource, 'pods');
  assert.equal(r.err, 'gone');
  assert.equal(r.pid, process.pid);
  assert.equal(typeof r.time, 'number');
});

test('klog verbosity maps onto levels: 0 info, 2 verbose, 4 debug, 6+ trace', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map(levelForVerbosity), ['info', 'info', 'verbose', 'verbose', 'debug', 'debug', 'trace', 'trace']);
});

test('flags: defaults, --v, --log-level winning over --v, and clear errors for bad values', () => {
  assert.deepEqual(parseLogFlags({}), { format: 'text', level: 'info' });
  assert.deepEqual(parseLogFlags({ v: '4' }), { format: 'text', level: 'debug' });
  assert.deepEqual(parseLogFlags({ v: '6', logLevel: 'warn', logFormat: 'json' }), { format: 'json', level: 'warn' });
  assert.throws(() => parseLogFlags({ logFormat: 'xml' }), /^Error: --log-format must be text or json, got "xml"$/);
  assert.throws(() => parseLogFlags({ v: 'high' }), /^Error: --v must be a whole number .*got "high"$/);
  assert.throws(() => parseLogFlags({ v: '-1' }), /--v must be a whole number/);
  assert.throws(() => parseLogFlags({ logLevel: 'loud' }), /^Error: --log-level must be one of fatal, error, warn, info, verbose, debug, trace; got "loud"$/);
});

test('a component logger made before configureLogging follows the configuration', () => {
  const early = componentLogger('sim');
  const lines: string[] = [];
  configureLogging({ level: 'debug', out: { write: (s: string) => lines.push(s) } });
  early.debug('node started', { node: 'sim-0' });
  configureLogging({ level: 'warn', out: { write: (s: string) => lines.push(s) } });
  early.info('dropped');
  early.warn('kept');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, / sim\] node started node="sim-0"\n$/);
  assert.match(lines[1]!, /^W.* sim\] kept\n$/);
});

test('warnOf/errorOf: a Logger handed as a plain callback logs at the level; a plain function is called as is', () => {
  const { lines, log } = capture();
  warnOf(log)('slow client');
  errorOf(log)('internal error');
  assert.match(lines[0]!, /^W\d{4} .*\] slow client\n$/);
  assert.match(lines[1]!, /^E\d{4} .*\] internal error\n$/);
  const got: string[] = [];
  const plain = (m: string) => void got.push(m);
  warnOf(plain)('a');
  errorOf(plain)('b');
  assert.deepEqual(got, ['a', 'b']);
});
