// Bounds how many pod start-up steps (a sandbox, a container's create and start) run in the
// runtime at once, and serves them by the pods' arrival: when many pods arrive together, the
// first ones get all they need to run before later ones take the runtime's time, instead of
// every pod getting slower together. The runtime's throughput is the same (it is bound by the
// machine's CPU, containerd and runc), so the first pods run much sooner and the last no later.
import { availableParallelism } from 'node:os';

/** The agent's bound unless configured: twice the CPUs, at least 4 (the startup bench's floor uses it too). */
export function defaultStartConcurrency(): number {
  return Math.max(4, 2 * availableParallelism());
}

export class StartGate {
  private active = 0;
  private seq = 0;
  private readonly waiting: Array<{ priority: number; seq: number; go: () => void }> = [];

  /** limit: steps in flight at most (0 or less: no bound). */
  constructor(private readonly limit: number) {}

  /** Runs fn when a slot is free; lower priority numbers first (a pod's arrival order), then FIFO. */
  async run<T>(priority: number, fn: () => Promise<T>): Promise<T> {
    if (this.limit > 0 && this.active >= this.limit) {
      await new Promise<void>((go) => {
        this.waiting.push({ priority, seq: this.seq++, go });
      });
    } else this.active++;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private release(): void {
    if (this.waiting.length === 0) {
      this.active--;
      return;
    }
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      const b = this.waiting[best]!;
      if (w.priority < b.priority || (w.priority === b.priority && w.seq < b.seq)) best = i;
    }
    // The slot passes to the next one: active stays the same.
    this.waiting.splice(best, 1)[0]!.go();
  }
}
