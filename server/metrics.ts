// Prometheus metrics through prom-client: one registry per server, with the process's own metrics
// (CPU, RSS, heap, event-loop lag) and Parley's, rendered on /metrics (features/ops/routes.ts).
// Every series is listed with its meaning in docs/operations.md ("Metrics").

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { BUS_KINDS, type BusMeter } from "./ports/bus";
import { ERROR_CODES } from "./errors";
import type { ErrorCode } from "./protocol/types";

/** The label value a closed set's unknown values count under (and an open set's past its cap). */
export const OTHER = "other";
/** An open label (values from our code, such as limiter names) gets at most this many series. */
const OPEN_LABEL_MAX = 32;
/** Latency buckets in seconds, from a fast commit to a slow HTTP request. */
export const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Counts one occurrence (or `by`) under a label value. */
export type CountBy = (value: string, by?: number) => void;

export class Metrics {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /*
   * Counters keep their counts in plain numbers and hand them to prom-client at scrape time: a
   * prom-client increment hashes its labels each time (~300 ns here), a Map update ~30 ns, and
   * counters sit on the per-frame path.
   */

  /** A counter without labels, at 0 from the start (so a first increment shows in rate()). */
  count(name: string, help: string): (by?: number) => void {
    let n = 0;
    this.sample(name, help, "counter", () => n);
    return (by = 1) => void (n += by);
  }

  /**
   * A counter with one label, bounded whatever it is called with. `values` given: a closed set (frame
   * types, error codes), each at 0 from the start, anything else counted as "other". No `values`: an
   * open set for names our own code makes (rate limiters), the first OPEN_LABEL_MAX of them each
   * its own series, later ones "other".
   */
  counter(name: string, help: string, label: string, values?: readonly string[]): CountBy {
    const counts = new Map<string, number>((values ?? []).map((v) => [v, 0]));
    new Counter({
      name, help, labelNames: [label], registers: [this.registry],
      collect() {
        this.reset();
        for (const [value, n] of counts) this.inc({ [label]: value }, n);
      },
    });
    return (value, by = 1) => {
      const n = counts.get(value);
      if (n !== undefined) return void counts.set(value, n + by);
      const key = values !== undefined || counts.size >= OPEN_LABEL_MAX ? OTHER : value;
      counts.set(key, (counts.get(key) ?? 0) + by);
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

  /**
   * A histogram with labels the caller keeps bounded (a route pattern, never a raw path). Its
   * `_count` series is the number of observations per label set, so it doubles as their counter.
   */
  histogramBy<L extends string>(name: string, help: string, buckets: number[], labelNames: readonly L[]): (labels: Record<L, string | number>, value: number) => void {
    const h = new Histogram<L>({ name, help, buckets, labelNames, registers: [this.registry] });
    return (labels, v) => h.observe(labels, v);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * The bus adapters' series: publishes and receipts by message kind, and the delay from a publish on
 * one node to its receipt on another. That delay compares two hosts' wall clocks: on one host (or
 * with synchronized clocks) it is the broker hop; skew shows up in it, and a negative one counts as 0.
 */
export function busMeter(m: Metrics): BusMeter {
  const published = m.counter("parley_bus_published_total", "messages this node published on the bus, by kind", "kind", BUS_KINDS);
  const received = m.counter("parley_bus_received_total", "messages this node received from the broker (its own echoes and duplicates left out), by kind", "kind", BUS_KINDS);
  const lag = m.histogram("parley_bus_lag_seconds", "from a message's publish on another node to its receipt here (two hosts' clocks)", SECONDS_BUCKETS);
  return {
    published: (kind) => published(kind),
    received(kind, sentAtMs) {
      received(kind);
      if (sentAtMs !== undefined) lag(Math.max(0, Date.now() - sentAtMs) / 1000);
    },
  };
}

/** Request methods that get their own label value; any other method (a client can send anything) is "other". */
const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * The HTTP series (app.ts hooks): requests by method, route PATTERN (`/api/rooms/:id`, never the raw
 * path: a path is client input; no route at all is "unmatched") and status, with their latency; and
 * error answers by code.
 */
export function httpMeter(m: Metrics) {
  const observe = m.histogramBy("parley_http_request_duration_seconds", "HTTP requests, by method, route pattern and status: latency from the request's arrival to its answer", SECONDS_BUCKETS, ["method", "route", "status"]);
  const errors = m.counter("parley_http_errors_total", "HTTP error answers, by code", "code", ERROR_CODES);
  return {
    request(method: string, route: string | undefined, status: number, seconds: number) {
      observe({ method: HTTP_METHODS.has(method) ? method : OTHER, route: route ?? "unmatched", status }, seconds);
    },
    error: errors as (code: ErrorCode) => void,
  };
}
