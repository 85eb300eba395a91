// The log of a `berth` command as an operator reads it: the logging flags on every command, bad
// values refused in one line, and with --log-format json every line of `berth server` (the
// supervisor's and the server process's) a JSON record naming its component.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, childPids, eventually, startServer } from './harness.js';

test('bad logging flags: one clear error line and exit 1, on any command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logflags-'));
  try {
    const cases: [string[], RegExp][] = [
      [['server', '--data-dir', dir, '--v', 'high'], /^berth: error: --v must be a whole number \(0 info, 2 more, 4 debug, 6 trace\), got "high"\n$/],
      [['server', '--data-dir', dir, '--log-format', 'xml'], /^berth: error: --log-format must be text or json, got "xml"\n$/],
      [['scheduler', '--log-level', 'loud'], /^berth: error: --log-level must be one of fatal, error, warn, info, verbose, debug, trace; got "loud"\n$/],
      [['sim', '--nodes', '1', '--log-format', 'yaml'], /^berth: error: --log-format must be text or json, got "yaml"\n$/],
      [['datastore', 'migrate', '--from', 'sqlite:a', '--to', 'sqlite:b', '--v', '-2'], /^berth: error: --v must be a whole number/],
    ];
    for (const [args, want] of cases) {
      const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, want, args.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--log-format json: every line of the supervisor and the server process is a JSON record with its component', { timeout: 90_000 }, async () => {
  const s = await startServer({ args: ['--log-format', 'json', '--v', '2'] });
  try {
    // The embedded scheduler and controller manager say they lead, a moment after the ready line.
    await eventually(
      () => /"component":"scheduler".*acquired lease/.test(s.output()) && /"component":"controller-manager".*acquired lease/.test(s.output()),
      'the leader election lines',
      20_000,
    );
    const victim = childPids(s.proc.pid!)[0]!;
    process.kill(victim, 'SIGKILL');
    await eventually(
      () => /killed by SIGKILL/.test(s.output()) && (s.output().match(/API server ready at/g)?.length ?? 0) >= 2,
      'the supervisor restarted the server',
      30_000,
    );
    const records = s
      .output()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          assert.fail(`not a JSON line: ${l}`);
        }
      });
    for (const r of records) {
      assert.equal(typeof r.msg, 'string');
      assert.equal(typeof r.time, 'number');
      assert.equal(typeof r.pid, 'number');
      assert.match(r.level, /^(fatal|error|warn|info|verbose|debug|trace)$/);
    }
    const components = new Set(records.map((r) => r.component));
    for (const c of ['server', 'scheduler', 'controller-manager', 'supervisor'])
      assert.ok(components.has(c), `a line of ${c} in ${[...components].join(', ')}`);
    const crash = records.find((r) => r.component === 'supervisor' && /killed by SIGKILL/.test(r.msg));
    assert.equal(crash.level, 'error');
    assert.equal(crash.pid, s.proc.pid, "the supervisor's own pid");
    assert.match(crash.msg, new RegExp(`^server process ${victim} killed by SIGKILL`));
    const ready = records.filter((r) => /^API server ready at https:\/\//.test(r.msg));
    assert.equal(ready.length, 2);
    assert.equal(ready[0].pid, victim, 'the first ready line is the killed server process’s');
    assert.notEqual(ready[1].pid, victim);
  } finally {
    await s.stop();
    s.cleanup();
  }
});
