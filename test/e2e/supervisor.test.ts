// `berth server` under its supervisor: a server process that dies (kill -9, as the OOM killer
// does) is restarted, says why, and serves the same data at the same address; SIGTERM stops
// everything with exit 0; a supervisor killed with SIGKILL leaves no server process behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, api, BERTH, childPids, eventually, startServer } from './harness.js';

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: name } });

function serverPid(supervisor: number): number {
  const kids = childPids(supervisor);
  assert.equal(kids.length, 1, `one server process under the supervisor, found ${kids.join(',')}`);
  return kids[0]!;
}

test(
  'supervisor: a server process killed with -9 is restarted, says why, and serves the same data at the same address; SIGTERM then exits 0',
  { timeout: 120_000 },
  async (t) => {
    const s = await startServer();
    try {
      const created = await api(s, 'POST', '/api/v1/namespaces/default/configmaps', cm('kept'));
      assert.equal(created.status, 201);
      for (let round = 1; round <= 2; round++) {
        const victim = serverPid(s.proc.pid!);
        const killedAt = Date.now();
        process.kill(victim, 'SIGKILL');
        await eventually(
          () => new RegExp(`server process ${victim} killed by SIGKILL \\(the kernel OOM killer or kill -9\\); restarting in \\d+ ms`).test(s.output()),
          `the supervisor says why ${victim} is being restarted`,
          5_000,
        );
        // The same URL (a random port the first time) answers again, from a new process, with the data.
        const back = await eventually(
          async () => {
            const r = await api(s, 'GET', '/api/v1/namespaces/default/configmaps/kept').catch(() => undefined);
            return r?.status === 200 ? r : undefined;
          },
          'the restarted server serves the same data',
          30_000,
        );
        assert.ok(back);
        const downMs = Date.now() - killedAt;
        // The API answers before the server has set up its components and said it is ready; the
        // next kill is of a ready server (one killed before is "killed ... before it was ready").
        await eventually(() => (s.output().match(/API server ready at/g) ?? []).length === round + 1, `ready line ${round + 1}`, 30_000);
        assert.equal(back.json.metadata.uid, created.json.metadata.uid);
        const successor = serverPid(s.proc.pid!);
        assert.notEqual(successor, victim);
        assert.match(s.output(), new RegExp(`server process ${successor} started \\(restart ${round}\\)`));
        assert.ok(downMs < 20_000, `serving again within 20 s (took ${downMs} ms)`);
        assert.equal((await api(s, 'POST', '/api/v1/namespaces/default/configmaps', cm(`after-${round}`))).status, 201, 'writes work after the restart');
        assert.equal(s.proc.exitCode, null, 'the supervisor itself keeps running');
        t.diagnostic(`figures: restart ${round}: serving again ${downMs} ms after kill -9 of the server process`);
      }
      const last = serverPid(s.proc.pid!);
      assert.equal(await s.stop(), 0, 'SIGTERM to the supervisor: a clean stop, exit 0');
      assert.ok(!alive(last), 'the server process is gone too');
      assert.doesNotMatch(s.output(), /restart 3/, 'a clean stop is not restarted');
    } finally {
      s.cleanup();
    }
  },
);

test('supervisor: killed with SIGKILL, it leaves no server process running', { timeout: 60_000 }, async () => {
  const s = await startServer();
  try {
    const server = serverPid(s.proc.pid!);
    s.proc.kill('SIGKILL');
    await eventually(() => !alive(server), `server process ${server} stops once its supervisor is gone`, 10_000);
  } finally {
    s.cleanup();
  }
});

test("supervisor: a server that fails before it is ready is not restarted; its one-line error and exit code are the command's", () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-supervisor-'));
  try {
    const r = spawnSync(process.execPath, [BERTH, 'server', '--data-dir', dir, '--listen', 'nowhere', '--no-agent'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'berth: error: --listen must be HOST:PORT, got "nowhere"\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
