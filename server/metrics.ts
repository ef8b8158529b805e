// Prometheus metrics: a few counters and gauges kept as plain numbers, rendered on /metrics.

type Labels = Record<string, string>;
const MAX_CACHED_LABELS = 1000;

interface Series {
  help: string;
  type: "counter" | "gauge";
  values: Map<string, number>;
}

/** Counters are bumped on hot paths: a Map lookup and an add, nothing else. */
export class Metrics {
  private readonly series = new Map<string, Series>();
  private readonly sampled: [string, string, Series["type"], () => number][] = [];

  private get(name: string, help: string, type: Series["type"]): Series {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = { help, type, values: new Map() }));
    return s;
  }

  inc(name: string, help: string, labels?: Labels, by = 1) {
    const s = this.get(name, help, "counter");
    const key = labels ? labelText(labels) : "";
    s.values.set(key, (s.values.get(key) ?? 0) + by);
  }

  /** A counter with one label for hot paths (every frame): the label text is built once per value. */
  counter(name: string, help: string, label: string): (value: string) => void {
    const s = this.get(name, help, "counter");
    const texts = new Map<string, string>();
    return (value) => {
      let key = texts.get(value);
      if (key === undefined) {
        key = labelText({ [label]: value });
        if (texts.size < MAX_CACHED_LABELS) texts.set(value, key);
      }
      s.values.set(key, (s.values.get(key) ?? 0) + 1);
    };
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
