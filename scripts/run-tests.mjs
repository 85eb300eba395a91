// Runs every test file with node's test runner. Node 20's `--test` takes no globs, so the
// files are found here: unit tests beside the code (src/**/*.test.ts), end-to-end tests in
// test/e2e. `node scripts/run-tests.mjs PATTERN` runs only files whose path contains PATTERN.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv[2];
const files = [...find('src'), ...find('test')].filter((f) => !filter || f.includes(filter)).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// --test-force-exit: a file whose tests are done must not keep the run waiting on a handle
// some library left open (seen with the etcd suite: every test passed, the process lingered).
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-force-exit', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
