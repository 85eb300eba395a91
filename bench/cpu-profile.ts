// Where a process's time went, from the .cpuprofile that `node --cpu-prof` writes (a bench run
// with BERTH_BENCH_PROF=DIR leaves one per process): self time by function and by area of the
// source (src/apiserver, src/scheduler, node:internal, the garbage collector, ...), the bundle's
// positions mapped back to the TypeScript through dist's source maps.
//   node --import tsx bench/cpu-profile.ts FILE.cpuprofile... [--top 30]
// Self time is wall time on the thread: a synchronous system call (SQLite's fsync at commit)
// counts as its caller's, though the process used no CPU meanwhile.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  /** Microseconds since the previous sample, one per sample. */
  timeDeltas: number[];
}

export interface Frame {
  fn: string;
  /** src/..., node_modules/..., node:..., or '' for V8's own entries ((garbage collector), (idle), ...). */
  source: string;
  line: number;
}

/** Self time (ms) by function, and by area, of one profile. */
export function selfTimes(profile: CpuProfile, locate: (cf: CallFrame) => Frame): { byFunction: Map<string, number>; byArea: Map<string, number> } {
  const msById = new Map<number, number>();
  profile.samples.forEach((id, i) => msById.set(id, (msById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const node of profile.nodes) {
    const ms = msById.get(node.id);
    if (!ms) continue;
    const f = locate(node.callFrame);
    add(byFunction, f.source ? `${f.fn || '(anonymous)'} ${f.source}:${f.line + 1}` : f.fn, ms);
    add(byArea, areaOf(f), ms);
  }
  return { byFunction, byArea };
}

/** src/<folder>, node_modules/<package>, node:<module>, or V8's own entry. */
export function areaOf(f: Frame): string {
  if (!f.source) return f.fn || '(native)';
  if (f.source.startsWith('node:')) return f.source.split('/')[0]!;
  const parts = f.source.split('/');
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}` : f.source;
  if (parts[0] === 'node_modules') return `node_modules/${parts[1]!.startsWith('@') ? parts[1] + '/' + parts[2] : parts[1]}`;
  return f.source;
}

/** Source positions through the bundle's source maps (dist/*.js.map); others as they are. */
export function sourceMapLocator(): (cf: CallFrame) => Frame {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (url: string) => {
    if (!maps.has(url)) {
      let m: SourceMap | undefined;
      try {
        const path = fileURLToPath(url);
        if (existsSync(path + '.map')) m = new SourceMap(JSON.parse(readFileSync(path + '.map', 'utf8')));
      } catch {
        m = undefined;
      }
      maps.set(url, m);
    }
    return maps.get(url);
  };
  const relative = (s: string) => s.replace(/^.*?\/(src|node_modules)\//, '$1/');
  return (cf) => {
    if (!cf.url) return { fn: cf.functionName, source: '', line: 0 };
    // findEntry gives {} where the map has nothing for the position.
    const entry = (cf.url.startsWith('file:') ? mapOf(cf.url)?.findEntry(cf.lineNumber, cf.columnNumber) : undefined) as
      { originalSource?: string; originalLine?: number } | undefined;
    if (entry?.originalSource) return { fn: cf.functionName, source: relative(entry.originalSource), line: entry.originalLine ?? 0 };
    return { fn: cf.functionName, source: relative(cf.url.replace(/^file:\/\//, '')), line: cf.lineNumber };
  };
}

function report(file: string, top: number): string {
  const { byFunction, byArea } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, sourceMapLocator());
  const total = [...byArea.values()].reduce((a, b) => a + b, 0);
  const busy = total - (byArea.get('(idle)') ?? 0);
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${v.toFixed(0).padStart(8)} ms ${((v / busy) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return `${file}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s not idle (% of that)\n-- by area\n${rows(byArea, 15)}\n-- by function (self)\n${rows(byFunction, top)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--top');
  const top = ti >= 0 ? Number(args.splice(ti, 2)[1]) : 30;
  if (!args.length || !(top > 0)) {
    process.stderr.write('usage: node --import tsx bench/cpu-profile.ts FILE.cpuprofile... [--top N]\n');
    process.exit(2);
  }
  for (const f of args) process.stdout.write(report(f, top) + '\n');
}
