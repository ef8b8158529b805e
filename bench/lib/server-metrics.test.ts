// Unit tests for the figures read off /metrics: named samples, and the store's time per message between two scrapes.
import { describe, expect, test } from "bun:test";
import { sampleValues, STORE_METRICS, storeShare, storeText } from "./server-metrics";

const exposition = (commit: number, index?: number) =>
  [
    "# HELP parley_commit_seconds x",
    "# TYPE parley_commit_seconds histogram",
    'parley_commit_seconds_bucket{le="0.005"} 7',
    `parley_commit_seconds_sum ${commit}`,
    "parley_commit_seconds_count 9",
    ...(index === undefined ? [] : [`parley_search_index_seconds_total ${index}`]),
    "parley_search_index_seconds_total_other 5",
  ].join("\n") + "\n";

describe("server metrics", () => {
  test("METRICS-BENCH-1 named samples are read off the exposition by exact name; absent ones are 0", () => {
    expect(sampleValues(exposition(1.5, 0.25), STORE_METRICS)).toEqual({ commit: 1.5, index: 0.25 });
    expect(sampleValues(exposition(1.5), STORE_METRICS)).toEqual({ commit: 1.5, index: 0 });
    expect(sampleValues("parley_up 1\n", { up: "parley_up", down: "parley_down" })).toEqual({ up: 1, down: 0 });
  });

  test("METRICS-BENCH-2 the store's share: the difference of two scrapes per message, in µs", () => {
    // 0.5 s of commits and 0.125 s of index passes over 10,000 messages: 50 and 12.5 µs each.
    expect(storeShare(exposition(1, 0.25), exposition(1.5, 0.375), 10_000)).toEqual({ commit: 50, index: 12.5 });
    // PostgreSQL exports no index series: its index is updated inside the commit.
    expect(storeShare(exposition(1), exposition(2), 1_000)).toEqual({ commit: 1000, index: 0 });
    expect(storeText({ commit: 24.1, index: 7.3 })).toBe("31.4 µs (commit 24.1 + search index 7.3)");
  });

  test("METRICS-BENCH-3 no share without both scrapes, without messages, or from a server that is not Parley", () => {
    expect(storeShare(undefined, exposition(1), 10)).toBeUndefined();
    expect(storeShare(exposition(1), undefined, 10)).toBeUndefined();
    expect(storeShare(exposition(1), exposition(2), 0)).toBeUndefined();
    expect(storeShare("other_series 1\n", "other_series 2\n", 10)).toBeUndefined();
  });
});
