// Figures read off a Parley server's /metrics (Prometheus text) around a step: its delivered-mark writes, and
// the time its store held the event loop, so a report can split the server's CPU per message into the store
// and everything else (docs/benchmarks.md, "The floor").

/** GET /metrics as text; undefined when the server has none (the baseline) or is unreachable. */
export async function scrapeMetrics(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/metrics`);
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** The named samples (counters, a histogram's `_sum`) of an exposition, by the keys given; 0 for one not there yet. */
export function sampleValues<K extends string>(text: string, names: Record<K, string>): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const [key, name] of Object.entries(names) as [K, string][]) {
    const line = text.split("\n").find((l) => l.startsWith(name + " "));
    out[key] = line ? Number(line.slice(name.length + 1)) : 0;
  }
  return out;
}

/** Seconds the store held the event loop: group commits (their fsync's wait included) and libSQL's search-index passes. */
export const STORE_METRICS = { commit: "parley_commit_seconds_sum", index: "parley_search_index_seconds_total" } as const;

export interface StoreShare {
  /** µs per message in group commits. */
  commit: number;
  /** µs per message in search-index passes (0 where the index is updated inside the commit: PostgreSQL). */
  index: number;
}

/** "31.4 µs (commit 24.1 + search index 7.3)". */
export const storeText = (s: StoreShare): string => `${Math.round((s.commit + s.index) * 10) / 10} µs (commit ${s.commit} + search index ${s.index})`;

/** The store's time between two scrapes, per message; undefined without both scrapes, messages, or Parley's commit series. */
export function storeShare(before: string | undefined, after: string | undefined, messages: number): StoreShare | undefined {
  if (before === undefined || after === undefined || messages <= 0 || !after.includes(STORE_METRICS.commit + " ")) return undefined;
  const a = sampleValues(before, STORE_METRICS);
  const b = sampleValues(after, STORE_METRICS);
  const us = (s: number) => Math.round((s / messages) * 1e7) / 10;
  return { commit: us(b.commit - a.commit), index: us(b.index - a.index) };
}
