// Prometheus metrics: a few counters and gauges kept as plain numbers, rendered on /metrics.

type Labels = Record<string, string>;

interface Series {
  help: string;
  type: "counter" | "gauge";
  values: Map<string, number>;
}

/** Counters are bumped on hot paths: a Map lookup and an add, nothing else. */
export class Metrics {
  private readonly series = new Map<string, Series>();
  private readonly labels = new Map<string, string>();
  private readonly sampled: [string, string, Series["type"], () => number][] = [];

  private get(name: string, help: string, type: Series["type"]): Series {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = { help, type, values: new Map() }));
    return s;
  }

  inc(name: string, help: string, labels?: Labels, by = 1) {
    const s = this.get(name, help, "counter");
    const key = labels ? this.labelText(labels) : "";
    s.values.set(key, (s.values.get(key) ?? 0) + by);
  }

  /** Label text, built once per distinct single (name, value) pair: counters are bumped on every frame. */
  private labelText(l: Labels): string {
    const keys = Object.keys(l);
    if (keys.length !== 1) return labelText(l);
    const id = keys[0] + "\0" + l[keys[0]];
    let t = this.labels.get(id);
    if (t === undefined) {
      t = labelText(l);
      if (this.labels.size < 1000) this.labels.set(id, t);
    }
    return t;
  }

  /** A value read at scrape time (a counter kept elsewhere, or a gauge). */
  sample(name: string, help: string, type: Series["type"], read: () => number) {
    this.sampled.push([name, help, type, read]);
  }

  render(): string {
    const out: string[] = [];
    for (const [name, s] of this.series) {
      out.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      for (const [labels, v] of s.values) out.push(`${name}${labels} ${v}`);
    }
    for (const [name, help, type, read] of this.sampled) out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${read()}`);
    return out.join("\n") + "\n";
  }
}

function labelText(l: Labels): string {
  return "{" + Object.entries(l).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, "_")}"`).join(",") + "}";
}
