// Runs a periodic task for each of many items, spread evenly over the period instead of all at
// once (5000 leases renewed every 10 s are 500 small writes a second, not a burst of 5000),
// with at most `concurrency` runs in flight. An item whose previous run has not finished when
// its turn comes again is not run twice.

export interface SpreadTickerOptions<T> {
  periodMs: number;
  concurrency: number;
  run: (item: T) => Promise<void>;
  /** How often due items are looked for (default: the period / 200, between 10 ms and 100 ms). */
  tickMs?: number;
  onError?: (item: T, err: unknown) => void;
  now?: () => number;
}

export class SpreadTicker<T> {
  private items: T[] = [];
  /** items[i] runs at offsets[i] into each period. */
  private offsets: number[] = [];
  private cursor = 0;
  private epoch = 0;
  private last = 0;
  private timer?: NodeJS.Timeout;
  private readonly queue: T[] = [];
  private readonly busy = new Set<T>();
  private inFlight = 0;
  private idle?: () => void;
  private readonly now: () => number;

  constructor(private readonly opts: SpreadTickerOptions<T>) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** The items, given evenly spaced offsets in the period in this order. */
  setItems(items: readonly T[]): void {
    this.items = [...items];
    const step = this.opts.periodMs / Math.max(1, this.items.length);
    this.offsets = this.items.map((_, i) => i * step);
    this.cursor = 0;
    if (this.timer) this.restartCycle();
  }

  start(): void {
    if (this.timer) return;
    this.restartCycle();
    const tickMs = this.opts.tickMs ?? Math.min(100, Math.max(10, this.opts.periodMs / 200));
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  /** Stops starting runs; resolves when the runs in flight have finished. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const item of this.queue) this.busy.delete(item);
    this.queue.length = 0;
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => (this.idle = resolve));
  }

  /** Runs waiting for a free slot (a growing number means the server can't keep up). */
  get backlog(): number {
    return this.queue.length;
  }

  /** Looks for items whose offset passed since the last tick. Public for tests. */
  tick(): void {
    const t = this.now();
    const period = this.opts.periodMs;
    const from = this.last;
    if (t < from) return;
    this.last = t;
    const n = this.items.length;
    if (n === 0) return;
    if (t - from >= period) {
      // Stalled a whole period (or more): each item once, and carry on from here.
      for (const item of this.items) this.enqueue(item);
      const phase = (t - this.epoch) % period;
      this.cursor = this.offsets.findIndex((o) => o > phase);
      if (this.cursor < 0) this.cursor = 0;
      return;
    }
    const a = (from - this.epoch) % period;
    const b = (t - this.epoch) % period;
    if (b < a) {
      // Wrapped into the next period: the rest of this one, then the start of the next.
      while (this.cursor < n) this.enqueue(this.items[this.cursor++]!);
      this.cursor = 0;
    }
    while (this.cursor < n && this.offsets[this.cursor]! <= b) this.enqueue(this.items[this.cursor++]!);
  }

  private restartCycle(): void {
    this.epoch = this.now();
    this.last = this.epoch;
    this.cursor = 0;
  }

  private enqueue(item: T): void {
    if (this.busy.has(item)) return;
    this.busy.add(item);
    this.queue.push(item);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const item = this.queue.shift()!;
      this.inFlight++;
      void this.opts
        .run(item)
        .catch((e) => this.opts.onError?.(item, e))
        .finally(() => {
          this.inFlight--;
          this.busy.delete(item);
          if (this.inFlight === 0 && this.idle) {
            const idle = this.idle;
            this.idle = undefined;
            idle();
          }
          if (this.timer) this.pump();
        });
    }
  }
}

/** Calls fn for every item, at most `concurrency` at a time; resolves when all are done. */
export async function forEachConcurrent<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}
