// For memory tests: how much the heap holds after some work, garbage collected before and after
// (the tests of what caches keep per object: interning, sharing, the transforms' object shapes).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bytes of heap that `work` leaves reachable: what it returns, and whatever else the caller
 * keeps of it. Node's own gc() is reached through --expose-gc set at run time.
 */
export function heapGrowth<T>(work: () => T): { bytes: number; result: T } {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const result = work();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, result };
}
