// Prometheus metrics through prom-client: one registry per server, with the process's own metrics
// (CPU, RSS, heap, event-loop lag) and Parley's, rendered on /metrics (features/ops/routes.ts).

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

type Labels = Record<string, string>;
/** Distinct values of a hot-path label whose child is kept (a frame type, an error code: a few dozen). */
const MAX_CACHED_LABELS = 1000;

export class Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1) {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new Counter({ name, help, labelNames: Object.keys(labels), registers: [this.registry] })));
    c.inc(labels, by);
  }

  /** A counter with one label for hot paths (every frame): the label's child is looked up once per value. */
  counter(name: string, help: string, label: string): (value: string) => void {
    const c = new Counter({ name, help, labelNames: [label], registers: [this.registry] });
    const children = new Map<string, { inc(): void }>();
    return (value) => {
      let child = children.get(value);
      if (!child) {
        child = c.labels(value);
        if (children.size < MAX_CACHED_LABELS) children.set(value, child);
      }
      child.inc();
    };
  }

  /** A value read at scrape time: a count kept elsewhere (type counter) or a gauge. */
  sample(name: string, help: string, type: "counter" | "gauge", read: () => number) {
    if (type === "gauge") {
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
    } else {
      new Counter({ name, help, registers: [this.registry], collect() { this.reset(); this.inc(read()); } });
    }
  }

  /** A histogram without labels; the returned function records one observation. */
  histogram(name: string, help: string, buckets: number[]): (value: number) => void {
    const h = new Histogram({ name, help, buckets, registers: [this.registry] });
    return (v) => h.observe(v);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
