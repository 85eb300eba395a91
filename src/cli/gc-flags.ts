// How the control plane's processes collect garbage on a machine of two cores or fewer.
//
// Single-threaded collection: V8 gives each process helper threads that scavenge in parallel and
// mark and sweep concurrently; with spare cores that shortens pauses. On a two-core machine there
// are none: the API server, the scheduler and the controller manager (and the nodes' agents, and
// the workload) keep both cores busy, and every process's helpers compete with the other
// processes' main threads and spin at their barriers. Measured with `npm run bench -- scale` at
// 1 000 nodes and 30 000 pods on 2 cores (four interleaved pairs), single-threaded collection cut
// the control plane's CPU per pod from 5.49 to 4.40 ms and raised throughput from 266 to 338
// pods/s (medians; docs/benchmarks.md).
//
// Compaction on every full collection: without it V8 compacts few of the pages a full collection
// leaves partly free, and the processes' heaps kept committed 2-2.5x what was live (the API
// server at 150 000 pods: 879 MB committed, 367 MB live, after a forced collection). At 50 000
// pods it lowered the control plane's peak memory from 1 171 to 1 041 MB at no more CPU per pod
// (2.97 against 3.09 ms; docs/benchmarks.md).
//
// Both are V8 flags that must be on node's command line (V8 aborts when single-threaded-gc is set
// at run time), so they are given to the processes `berth server` forks: the server under its
// supervisor, and the scheduler and controller manager.
import { availableParallelism } from 'node:os';

export const SINGLE_THREADED_GC = '--single-threaded-gc';
export const COMPACT_ON_EVERY_FULL_GC = '--compact-on-every-full-gc';

/** At most this many cores: no core to spare for the collectors' helper threads. */
export const SINGLE_THREADED_GC_MAX_CORES = 2;

/** Whether node was told about this flag already, either way (V8 reads '_' as '-'). */
function given(execArgv: readonly string[], flag: string): boolean {
  const negated = `--no-${flag.slice(2)}`;
  return execArgv.some((arg) => {
    const a = arg.replaceAll('_', '-');
    return a === flag || a === negated || a.startsWith(`${flag}=`);
  });
}

/**
 * The node flags a control-plane process is forked with for its garbage collection, besides
 * execArgv (what it inherits): none where there are cores to spare, and none that node was told
 * either way already.
 */
export function gcFlags(execArgv: readonly string[] = process.execArgv, cores: number = availableParallelism()): string[] {
  if (cores > SINGLE_THREADED_GC_MAX_CORES) return [];
  return [SINGLE_THREADED_GC, COMPACT_ON_EVERY_FULL_GC].filter((f) => !given(execArgv, f));
}
