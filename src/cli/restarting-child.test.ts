import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWAIT_GO_ENV, startRestartingChild } from './restarting-child.js';
import type { Logger } from '../log/logger.js';

/** A logger that keeps its lines, for assertions. */
function recorder(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
  const log = Object.assign(at('info'), {
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    verbose: at('verbose'),
    debug: at('debug'),
    trace: at('trace'),
    enabled: () => true,
    child: () => log,
  }) as Logger;
  return { log, lines };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('restarting child: a crashed child is started again with back-off and the reason; stop ends it with its exit code', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-restarting-'));
  try {
    // Crashes at once on its first two runs (counted in a file), then waits to be stopped.
    const script = join(dir, 'child.mjs');
    const runs = join(dir, 'runs');
    writeFileSync(
      script,
      `import { appendFileSync, readFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(runs)}, 'x');
if (readFileSync(${JSON.stringify(runs)}, 'utf8').length <= 2) process.exit(3);
process.on('SIGTERM', () => process.exit(0));
process.send({ type: 'up' });
setInterval(() => {}, 1000);
`,
    );
    const { log, lines } = recorder();
    let ready = 0;
    const child = startRestartingChild({
      name: 'test process',
      script,
      args: () => [],
      execArgv: [],
      log,
      minBackoffMs: 50,
      isReady: (m) => (m as { type?: string })?.type === 'up' && ++ready > 0,
    });
    await until(() => ready === 1, 'the third run to get ready');
    const errors = lines.filter((l) => l.startsWith('error '));
    assert.equal(errors.length, 2);
    assert.match(
      errors[0]!,
      /^error test process \d+ exited with code 3 \(an uncaught error; see its output above\) before it was ready; restarting in 50 ms \(crash 1 in a row\)$/,
    );
    assert.match(errors[1]!, /restarting in 100 ms \(crash 2 in a row\)$/);
    assert.ok(lines.some((l) => /^info test process \d+ started \(restart 2\)$/.test(l)));
    const pid = child.pid()!;
    child.stop('SIGTERM');
    assert.equal(await child.ended, 0);
    assert.throws(() => process.kill(pid, 0), 'the child is gone');
    assert.equal(lines.filter((l) => l.startsWith('warn ')).length, 0, 'a clean stop says nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restarting child: one that ignores SIGTERM is killed after the stop timeout, and says so', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-restarting-'));
  try {
    const script = join(dir, 'stubborn.mjs');
    writeFileSync(script, `process.on('SIGTERM', () => {}); process.send('up'); setInterval(() => {}, 1000);\n`);
    const { log, lines } = recorder();
    let up = false;
    const child = startRestartingChild({ name: 'stubborn process', script, args: () => [], execArgv: [], log, stopTimeoutMs: 300, isReady: () => (up = true) });
    await until(() => up, 'the child to start');
    child.stop('SIGTERM');
    assert.equal(await child.ended, 128 + 9);
    assert.ok(lines.some((l) => /^warn stubborn process \d+ did not stop 0.3 s after SIGTERM; killing it$/.test(l)));
    assert.ok(lines.some((l) => /^warn stubborn process \d+ killed by SIGKILL .* after SIGTERM$/.test(l)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restarting child: a child waiting for go stays alive until the parent says go; stopped while waiting it exits 0', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-restarting-'));
  try {
    const script = join(dir, 'waits.mjs');
    const module = JSON.stringify(join(import.meta.dirname, 'restarting-child.ts'));
    writeFileSync(
      script,
      `const { awaitParentGo, exitWithParent } = await import(${module});
const quiet = Object.assign(() => {}, { warn: () => {} });
exitWithParent(quiet, 'test');
await awaitParentGo();
process.send({ type: 'began' });
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1000);
`,
    );
    const { log } = recorder();
    const seen: string[] = [];
    let answer: ((m: { type: string }) => void) | undefined;
    const start = () =>
      startRestartingChild({
        name: 'waiting process',
        script,
        args: () => [],
        execArgv: process.execArgv,
        env: { [AWAIT_GO_ENV]: '1' },
        log,
        onMessage: (m, reply) => {
          seen.push((m as { type: string }).type);
          answer = reply;
        },
      });
    const child = start();
    await until(() => seen.includes('waiting'), 'the child to say it waits', 20_000);
    // Nothing but the IPC channel keeps it alive now: it must still be there, not begun.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(seen, ['waiting']);
    assert.ok(child.pid(), 'still running while it waits');
    answer!({ type: 'go' });
    await until(() => seen.includes('began'), 'the child to begin after go');
    child.stop('SIGTERM');
    assert.equal(await child.ended, 0);

    // Stopped before go: a quiet, clean exit.
    seen.length = 0;
    const early = start();
    await until(() => seen.includes('waiting'), 'the second child to wait', 20_000);
    early.stop('SIGTERM');
    assert.equal(await early.ended, 0);
    assert.deepEqual(seen, ['waiting']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
