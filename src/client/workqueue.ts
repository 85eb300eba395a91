// The controller work queue, as client-go's: a key is queued at most once however often it is
// added; a key being processed is never handed to a second worker — added meanwhile, it is
// queued again when the first worker calls done(). Delayed and rate-limited adds on top.
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
import { componentLogger } from '../log/logger.js';

export interface WorkQueueOptions<K> {
  /** Default: client-go's default controller rate limiter. */
  rateLimiter?: RateLimiter<K>;
  name?: string;
}

export class WorkQueue<K = string> {
  readonly name: string;
  private readonly rateLimiter: RateLimiter<K>;
  /** Keys waiting, in order. */
  private queue: K[] = [];
  private head = 0;
  /** Keys that need processing (queued, or added again while processing). */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiting = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  private getters: Array<(key: K | undefined) => void> = [];
  private drainers: Array<() => void> = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>();
    this.name = opts.name ?? 'workqueue';
  }

  /** Keys queued (not counting those being processed or waiting on a delay). */
  len(): number {
    return this.queue.length - this.head;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) this.hand(key, getter);
    else this.queue.push(key);
  }

  /** Adds once ms have passed; a key already waiting keeps whichever time comes first. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = performance.now() + ms;
    const existing = this.waiting.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { at, timer });
  }

  /** Adds after the rate limiter's delay for this key (its failures so far). */
  addRateLimited(key: K): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * The next key, waiting for one if none is queued; the caller must call done(key) after.
   * Once shut down, keys still queued are handed out, then undefined.
   */
  get(): Promise<K | undefined> {
    if (this.len() > 0) {
      const key = this.pop();
      return Promise.resolve(this.take(key));
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: K): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key)) {
      const getter = this.getters.shift();
      if (getter) this.hand(key, getter);
      else this.queue.push(key);
    }
    if (this.processing.size === 0) for (const d of this.drainers.splice(0)) d();
  }

  /** Stops taking keys; waiting getters get undefined, delayed keys are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** Shuts down, then waits until every key handed out is done. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainers.push(resolve));
  }

  private pop(): K {
    const key = this.queue[this.head++]!;
    // Trim the consumed front now and then instead of shifting on every get.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  private take(key: K): K {
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }

  private hand(key: K, getter: (key: K | undefined) => void): void {
    getter(this.take(key));
  }
}

/**
 * Runs n workers over the queue until it shuts down: each takes a key, runs the handler, and
 * calls done. A handler that throws gets its key re-queued with backoff; one that succeeds
 * has its backoff forgotten. Resolves when every worker has stopped (the queue shut down, or
 * opts.signal aborted).
 */
export async function runWorkers<K>(
  queue: WorkQueue<K>,
  n: number,
  handler: (key: K) => Promise<void> | void,
  opts: { onError?: (key: K, err: unknown) => void; maxRetries?: number; signal?: AbortSignal } = {},
): Promise<void> {
  // A controller's run ends with its signal: the queue shuts down and the workers drain out.
  const signal = opts.signal;
  if (signal?.aborted) queue.shutDown();
  else signal?.addEventListener('abort', () => queue.shutDown(), { once: true });
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await handler(key);
        queue.forget(key);
      } catch (e) {
        if (opts.onError) opts.onError(key, e);
        else componentLogger('client').error(`${queue.name}: ${String(key)}: ${(e as Error)?.message ?? e}`);
        if (opts.maxRetries !== undefined && queue.numRequeues(key) >= opts.maxRetries) queue.forget(key);
        else queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}
