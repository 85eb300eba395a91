// `npm run bench -- <suite> [--workload NAME]`: benchmark suites. Each result is one JSON line on
// stdout; progress goes to stderr; a table of the run is appended to docs/benchmarks.md.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { apiSuite } from './api.js';
import { schedulerSuite } from './scheduler.js';
import { startupSuite } from './startup.js';
import { servicesSuite } from './services.js';
import { dnsSuite } from './dns.js';
import { networkSuite } from './network.js';
import { joinSuite } from './join.js';
import { rbacSuite } from './rbac.js';
import { workloadsSuite } from './workloads.js';
import { nodeAuthzSuite } from './node-authz.js';
import { simSuite } from './sim.js';
import { serverMemorySuite } from './server-memory.js';
import { scaleSuite, SCALE_MODES, type ScaleMode } from './scale.js';
import { listSuite } from './list.js';
import type { Result } from './common.js';

const suites: Record<string, (args: string[], workload?: string) => Promise<Result[]>> = {
  api: (a, workload) => apiSuite({ workload, datastores: datastores(a) }),
  scheduler: (a, workload) => schedulerSuite({ workload, nodes: numberFlag(a, '--nodes'), allNodes: a.includes('--all-nodes') }),
  startup: () => startupSuite(),
  services: () => servicesSuite(),
  dns: () => dnsSuite(),
  network: () => networkSuite(),
  join: () => joinSuite(),
  rbac: () => rbacSuite(),
  workloads: (a, workload) => workloadsSuite({ workload, jobs: numberFlag(a, '--jobs'), nodes: numberFlag(a, '--nodes') }),
  'node-authz': () => nodeAuthzSuite(),
  sim: (a) => simSuite({ nodes: numberFlag(a, '--nodes'), pods: numberFlag(a, '--pods') }),
  'server-memory': (a) =>
    serverMemorySuite({
      pods: numberFlag(a, '--pods'),
      nodes: numberFlag(a, '--nodes'),
      runs: numberFlag(a, '--runs'),
      compare: stringFlag(a, '--compare'),
      split: a.includes('--split'),
    }),
  scale: (a) =>
    scaleSuite({
      nodes: numberFlag(a, '--nodes'),
      deployments: numberFlag(a, '--deployments'),
      replicas: numberFlag(a, '--replicas'),
      churnSeconds: numberFlag(a, '--churn-seconds'),
      modes: scaleModes(a),
    }),
  list: (a) => listSuite({ pods: numberFlag(a, '--pods'), datastore: stringFlag(a, '--datastore'), compare: stringFlag(a, '--compare') }),
};

/** `--modes one-process,all-cores,split` (default: all three). */
function scaleModes(a: string[]): ScaleMode[] | undefined {
  const v = stringFlag(a, '--modes');
  if (v === undefined) return undefined;
  const modes = v.split(',').filter(Boolean);
  for (const m of modes) if (!(SCALE_MODES as string[]).includes(m)) throw new Error(`--modes: unknown mode ${m} (${SCALE_MODES.join(', ')})`);
  if (modes.length === 0) throw new Error(`--modes: expected one or more of ${SCALE_MODES.join(', ')}`);
  return modes as ScaleMode[];
}

function stringFlag(a: string[], name: string): string | undefined {
  const i = a.indexOf(name);
  if (i < 0) return undefined;
  if (!a[i + 1] || a[i + 1]!.startsWith('--')) throw new Error(`${name}: expected a value`);
  return a[i + 1];
}

function numberFlag(a: string[], name: string): number | undefined {
  const i = a.indexOf(name);
  if (i < 0) return undefined;
  const n = Number(a[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: expected a positive integer, got ${a[i + 1]}`);
  return n;
}

/** `--datastore sqlite|etcd|sqlite,etcd`; by default both when etcd is installed. */
function datastores(a: string[]): string[] {
  const i = a.indexOf('--datastore');
  if (i >= 0) {
    const wanted = (a[i + 1] ?? '').split(',').filter(Boolean);
    for (const d of wanted) if (d !== 'sqlite' && d !== 'etcd') throw new Error(`--datastore: unknown datastore ${d} (sqlite, etcd)`);
    // The named datastore is compared with SQLite, the default, in the same run.
    return wanted.includes('sqlite') ? wanted : ['sqlite', ...wanted];
  }
  return spawnSync('etcd', ['--version']).status === 0 ? ['sqlite', 'etcd'] : ['sqlite'];
}

const args = process.argv.slice(2);
const suite = args[0];
const wi = args.indexOf('--workload');
const workload = wi >= 0 ? args[wi + 1] : undefined;
if (!suite || !suites[suite]) {
  process.stderr.write(`usage: npm run bench -- <suite> [--workload NAME]; suites: ${Object.keys(suites).join(', ')}\n`);
  process.exit(2);
}

const results = await suites[suite]!(args, workload);
const machine = `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const file = join(import.meta.dirname, '..', 'docs', 'benchmarks.md');
if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n\nAppended by `npm run bench`; each row is the median of the runs it names.\n');
const rows = results
  .map((r) => `| ${r.workload ?? ''} | ${r.datastore ?? ''} | ${r.metric} | ${r.value} | ${r.unit} | ${r.target ?? ''} | ${r.note ?? ''} |`)
  .join('\n');
appendFileSync(
  file,
  `\n## ${suite} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — ${machine}\n\n| workload | datastore | metric | value | unit | target | note |\n|---|---|---|---|---|---|---|\n${rows}\n`,
);
