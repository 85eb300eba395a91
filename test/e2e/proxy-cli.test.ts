// `berth agent --cleanup` removes the service proxy's table (run in a network namespace the test
// creates, so the host's tables are never touched); bad proxy flags are one line and exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BERTH, skipIfMissing } from './harness.js';
import { netnsMissing } from './netns-fixture.js';

const skip = skipIfMissing(netnsMissing(), 'the berth agent --cleanup test');
const NS = `bpc${process.pid % 100000}`;

const inNs = (args: string[]) => spawnSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8', timeout: 30_000 });
const berth = (args: string[]) => inNs([process.execPath, BERTH, ...args]);

test('berth agent --cleanup removes the named table and only it; a second run finds nothing', { skip }, () => {
  spawnSync('ip', ['netns', 'del', NS]);
  assert.equal(spawnSync('ip', ['netns', 'add', NS]).status, 0);
  try {
    for (const t of ['berth', 'other']) assert.equal(inNs(['nft', 'add', 'table', 'ip', t]).status, 0);
    assert.equal(inNs(['nft', 'add', 'chain', 'ip', 'berth', 'services']).status, 0);

    const r = berth(['agent', '--cleanup']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'berth: removed nftables table ip berth\n');
    const tables = inNs(['nft', 'list', 'tables']).stdout;
    assert.doesNotMatch(tables, /table ip berth\n/);
    assert.match(tables, /table ip other\n/, 'another table is left alone');

    const again = berth(['agent', '--cleanup']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stdout, 'berth: no nftables table ip berth: nothing to remove\n');

    const named = berth(['agent', '--cleanup', '--proxy-table', 'other']);
    assert.equal(named.stdout, 'berth: removed nftables table ip other\n');
    assert.equal(inNs(['nft', 'list', 'tables']).stdout, '');
  } finally {
    spawnSync('ip', ['netns', 'del', NS]);
  }
});

test('bad proxy flags: one line naming the flag, exit 1, nothing started', () => {
  for (const [args, message] of [
    [['agent', '--cleanup', '--proxy-table', 'a;b'], /^berth: error: --proxy-table "a;b": a table name is a letter/],
    [
      ['agent', '--server', 'https://127.0.0.1:1', '--token', 't', '--ca-file', '/nonexistent', '--service-cidr', 'fd00::/108'],
      /^berth: error: --service-cidr fd00::\/108: only IPv4 ranges are supported$/,
    ],
    [['server', '--no-supervisor', '--data-dir', '/nonexistent-berth-proxy-test', '--proxy-table', '9'], /^berth: error: --proxy-table "9"/],
  ] as const) {
    const r = spawnSync(process.execPath, [BERTH, ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.trim(), message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
