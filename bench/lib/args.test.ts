// Unit tests for CLI option and --slo parsing.
import { describe, expect, test } from "bun:test";
import { defaultWorkers, SCENARIOS, parseArgs, parseDuration, parseSlo } from "./args";

describe("parseSlo", () => {
  test("percentile, threshold and load", () => {
    expect(parseSlo("p99=30ms@100000")).toEqual({ text: "p99=30ms@100000", percentile: 99, thresholdMs: 30, atDeliveriesPerSec: 100_000 });
    expect(parseSlo("p99.9=0.5s@20k")).toMatchObject({ percentile: 99.9, thresholdMs: 500, atDeliveriesPerSec: 20_000 });
    expect(parseSlo("p50=800us")).toMatchObject({ percentile: 50, thresholdMs: 0.8 });
    expect(parseSlo("p50=800us").atDeliveriesPerSec).toBeUndefined();
  });
  test("rejects malformed targets", () => {
    for (const bad of ["99=30ms", "p99", "p99=fast", "p0=1ms", "p101=1ms"]) expect(() => parseSlo(bad)).toThrow();
  });
});

describe("parseDuration", () => {
  test("units", () => {
    expect(parseDuration("12")).toBe(12);
    expect(parseDuration("2s")).toBe(2000);
    expect(parseDuration("250us")).toBe(0.25);
  });
});

describe("parseArgs", () => {
  test("DELIV-1 --delivered: off by default, on with the fanout scenario (alone, among others, or all by default), refused without it, takes no value", () => {
    expect(parseArgs([]).delivered).toBe(false);
    expect(parseArgs(["--delivered"]).delivered).toBe(true);
    expect(parseArgs(["--scenario", "fanout", "--delivered", "--no-baseline"])).toMatchObject({ delivered: true, scenarios: ["fanout"], baseline: false });
    expect(parseArgs(["--scenario", "throughput,fanout", "--delivered"]).delivered).toBe(true);
    expect(parseArgs(["--nodes", "3", "--delivered"]).delivered).toBe(true);
    expect(() => parseArgs(["--scenario", "throughput", "--delivered"])).toThrow(/fanout/);
    expect(() => parseArgs(["--delivered", "yes"])).toThrow(/unknown option/);
  });
  test("WORKERS-6 not pinned by default; --pin, --workers N (whole numbers ≥ 1, not with --nodes)", () => {
    expect(parseArgs([]).pin).toBe(false);
    expect(parseArgs([]).workers).toBeUndefined();
    expect(parseArgs(["--pin"]).pin).toBe(true);
    expect(parseArgs(["--pin", "--no-pin"]).pin).toBe(false);
    expect(parseArgs(["--workers", "3"]).workers).toBe(3);
    expect(() => parseArgs(["--workers", "0"])).toThrow("--workers");
    expect(() => parseArgs(["--workers", "1.5"])).toThrow("--workers");
    expect(() => parseArgs(["--nodes", "3", "--workers", "2"])).toThrow("--workers");
    expect(parseArgs(["--nodes", "3", "--workers", "1"]).workers).toBe(1);
    expect(defaultWorkers(2)).toBe(1);
    expect(defaultWorkers(1)).toBe(1);
    expect(defaultWorkers(8)).toBe(7);
  });

  test("defaults run every scenario with a baseline", () => {
    const o = parseArgs([]);
    expect(o.scenarios).toEqual([...SCENARIOS]);
    expect(o.baseline).toBe(true);
    expect(o.quick).toBe(false);
  });
  test("flags, inline values, lists", () => {
    const o = parseArgs(["--quick", "--scenario", "fanout,idle", "--scenario=login", "--slo", "p99=30ms@1k", "--rates", "100,2k", "--out=x"]);
    expect(o.scenarios).toEqual(["fanout", "idle", "login"]);
    expect(o.slos[0].atDeliveriesPerSec).toBe(1000);
    expect(o.rates).toEqual([100, 2000]);
    expect(o.out).toBe("x");
  });
  test("targets, idle size and duration", () => {
    expect(parseArgs([]).targets).toBeUndefined();
    expect(parseArgs(["--targets"]).targets).toBe(true);
    expect(parseArgs(["--no-targets"]).targets).toBe(false);
    const o = parseArgs(["--idle-connections", "10k", "--duration", "2.5", "--scenario", "commit"]);
    expect(o.idleConnections).toBe(10_000);
    expect(o.durationSec).toBe(2.5);
    expect(o.scenarios).toEqual(["commit"]);
  });
  test("--url drops the baseline and trailing slash", () => {
    const o = parseArgs(["--url", "http://h:1/"]);
    expect(o.url).toBe("http://h:1");
    expect(o.baseline).toBe(false);
  });
  test("--nodes: fanout only, no baseline; --store and --direct need it", () => {
    const o = parseArgs(["--nodes", "3", "--direct"]);
    expect(o).toMatchObject({ nodes: 3, store: "postgres", direct: true, baseline: false, scenarios: ["fanout"] });
    expect(parseArgs(["--nodes", "1", "--store", "libsql"]).store).toBe("libsql");
    expect(() => parseArgs(["--nodes", "2", "--store", "libsql"])).toThrow();
    expect(() => parseArgs(["--nodes", "3", "--scenario", "idle"])).toThrow();
    expect(() => parseArgs(["--nodes", "0"])).toThrow();
    expect(() => parseArgs(["--direct"])).toThrow();
    expect(() => parseArgs(["--store", "libsql"])).toThrow();
  });
  test("errors on unknown input", () => {
    expect(() => parseArgs(["--scenario", "nope"])).toThrow();
    expect(() => parseArgs(["--bogus"])).toThrow();
    expect(() => parseArgs(["--out"])).toThrow();
  });
});
