// Whether the control plane's processes collect garbage on their own thread only. V8 gives each
// process helper threads that scavenge in parallel and mark and sweep concurrently; with spare
// cores that shortens pauses. On a two-core machine there are none: the API server, the scheduler
// and the controller manager (and the nodes' agents, and the workload) keep both cores busy, and
// every process's helpers compete with the other processes' main threads and spin at their
// barriers. Measured with `npm run bench -- scale` at 1 000 nodes and 30 000 pods on 2 cores (four
// interleaved pairs), single-threaded collection cut the control plane's CPU per pod from 5.49 to
// 4.40 ms and raised throughput from 266 to 338 pods/s (medians; docs/benchmarks.md). The flag must be on node's command line (V8 aborts when it is
// set at run time), so it is given to the processes `berth server` forks: the server under its
// supervisor, and the scheduler and controller manager.
import { availableParallelism } from 'node:os';

export const SINGLE_THREADED_GC = '--single-threaded-gc';

/** At most this many cores: no core to spare for the collectors' helper threads. */
export const SINGLE_THREADED_GC_MAX_CORES = 2;

/**
 * The node flags a control-plane process is forked with for its garbage collection, besides
 * execArgv (what it inherits): none where node was told either way already
 * (`--single-threaded-gc`, `--no-single-threaded-gc`) or where there are cores to spare.
 */
export function gcThreadFlags(execArgv: readonly string[] = process.execArgv, cores: number = availableParallelism()): string[] {
  if (execArgv.some((a) => a === SINGLE_THREADED_GC || a === '--no-single-threaded-gc' || a.startsWith(`${SINGLE_THREADED_GC}=`))) return [];
  return cores <= SINGLE_THREADED_GC_MAX_CORES ? [SINGLE_THREADED_GC] : [];
}
