// Counters and histograms for hot paths (every API request, every store call, every scheduling
// attempt). prom-client's own label children re-validate and re-hash their labels at every
// observation (microseconds with eight labels); these keep one plain record per label set,
// found once and then updated with an addition. They register in the same prom-client
// registry, which formats them like its own metrics at scrape time.
import { registry } from './registry.js';

type Labels = Record<string, string>;
type Sample = { metricName?: string; labels: Record<string, string | number>; value: number };
/** What prom-client's registry reads from a metric at scrape time. */
type Scraped = { name: string; help: string; type: string; aggregator: string; values: Sample[] };

abstract class LabelledMetric<Child> {
  private readonly children = new Map<string, { labels: Labels; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract newChild(): Child;

  /** The record for these label values (in labelNames' order); keep it to skip the lookup. */
  child(...values: string[]): Child {
    const key = values.join('\u0000');
    let c = this.children.get(key);
    if (!c) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name}: ${this.labelNames.length} label values wanted, got ${values.length}`);
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i]!));
      c = { labels, child: this.newChild() };
      this.children.set(key, c);
    }
    return c.child;
  }

  protected entries(): Iterable<{ labels: Labels; child: Child }> {
    return this.children.values();
  }

  reset(): void {
    this.children.clear();
  }
}

export class FastCounter extends LabelledMetric<{ value: number; inc(n?: number): void }> {
  readonly type = 'counter';
  readonly aggregator = 'sum';

  protected newChild() {
    return {
      value: 0,
      inc(n = 1) {
        this.value += n;
      },
    };
  }

  async get(): Promise<Scraped> {
    const values = [...this.entries()].map(({ labels, child }) => ({ labels, value: child.value }));
    return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values };
  }
}

export interface HistogramChild {
  observe(seconds: number): void;
}

export class FastHistogram extends LabelledMetric<HistogramChild & { counts: Float64Array; sum: number; count: number }> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
  }

  protected newChild() {
    const upper = this.buckets;
    return {
      // Per bucket, not cumulative (the last one is +Inf); summed up at scrape time.
      counts: new Float64Array(upper.length + 1),
      sum: 0,
      count: 0,
      observe(v: number) {
        let i = 0;
        while (i < upper.length && v > upper[i]!) i++;
        this.counts[i]!++;
        this.sum += v;
        this.count++;
      },
    };
  }

  async get(): Promise<Scraped> {
    const values: Sample[] = [];
    for (const { labels, child } of this.entries()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += child.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: child.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: child.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: child.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
