// How far V8 lets a control-plane process's heap grow past what it holds before a full
// collection. Every component handles objects of up to megabytes, each request or event making
// copies that are garbage a moment later. V8 lets the heap grow up to 4x what is live; with
// 900 KB ConfigMaps updated in a loop the API server held 300 MB of garbage, and with 10 000
// pods created at once the scheduler and the controller manager, each holding 40-60 MB, peaked
// at 280-310 MB of heap. At most 1.5x (as GOGC=50 would for a Go component) keeps a process near
// what it really holds, for a few more collections. `berth server` sets it, and so do `berth
// scheduler` and `berth controller-manager`, whether `berth server` forked them or not: a flag
// set at run time is not in the execArgv a fork inherits.
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_FLAG = '--heap-growing-percent';

/**
 * Caps heap growth at 50% over the live heap, unless node itself was given
 * --heap-growing-percent (that one wins). Says whether it set the cap.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => a.startsWith(HEAP_GROWING_FLAG))) return false;
  setFlagsFromString(`${HEAP_GROWING_FLAG}=50`);
  return true;
}
