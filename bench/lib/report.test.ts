// Unit tests for the run verdict, SLO evaluation, ratios and report rendering, on synthetic results.
import { describe, expect, test } from "bun:test";
import type { FanoutStep, ScenarioResult } from "../scenarios/types";
import { metric } from "../scenarios/types";
import { parseSlo } from "./args";
import { Audit } from "./audit";
import { html, latencyChart } from "./html";
import { EXIT, evaluateSlo, markdown, ratios, storeLine, verdict } from "./report";

function step(rate: number, p99ms: number, lost = 0): FanoutStep {
  const us = p99ms * 1000;
  const lat = { count: 100, min: 100, mean: us / 2, p50: us / 4, p90: us / 2, p95: us / 2, p99: us, p999: us * 1.5, max: us * 2, clamped: 0 };
  return {
    ratePerSec: rate, offeredDeliveriesPerSec: rate * 20, achievedDeliveriesPerSec: rate * 20, sent: rate, notSent: 0, acked: rate,
    expected: rate * 20, delivered: rate * 20 - lost, lost, latencyUs: lat, ackLatencyUs: lat, sloUs: { p99: us }, sendLagP99Ms: 0.5,
    generatorCpu: 0.3, pass: p99ms <= 50 && lost === 0,
  };
}

function fanout(target: "parley" | "baseline", steps: FanoutStep[]): ScenarioResult {
  const knee = steps.filter((s) => s.pass).at(-1);
  return {
    scenario: "fanout", target, steps, generatorCpu: 0.3, invalid: [], audit: new Audit().report(),
    metrics: { kneeDeliveriesPerSec: metric(knee?.offeredDeliveriesPerSec ?? 0, "deliveries/s", "higher"), p99AtKneeMs: metric(knee ? knee.latencyUs.p99 / 1000 : null, "ms", "lower") },
  };
}

const base = { version: 1 as const, startedAt: "t0", finishedAt: "t1", quick: true, machine: { cpus: 2 }, plan: {}, knee: "p99=50ms", errors: [] as string[] };

describe("evaluateSlo", () => {
  const f = fanout("parley", [step(100, 5), step(200, 20), step(400, 80)]);
  test("at a load: the matching step must hold the percentile", () => {
    expect(evaluateSlo(parseSlo("p99=30ms@4000"), f).pass).toBe(true);
    expect(evaluateSlo(parseSlo("p99=10ms@4000"), f).pass).toBe(false);
    expect(evaluateSlo(parseSlo("p99=100ms@8000"), f).pass).toBe(true);
  });
  test("a load the ladder never reached is missed", () => {
    const r = evaluateSlo(parseSlo("p99=30ms@100000"), f);
    expect(r.pass).toBe(false);
    expect(r.detail).toContain("before reaching 100000");
  });
  test("loss fails the SLO whatever the latency", () => {
    expect(evaluateSlo(parseSlo("p99=30ms@2000"), fanout("parley", [step(100, 5, 3)])).pass).toBe(false);
  });
  test("without a load, some step must hold it", () => {
    expect(evaluateSlo(parseSlo("p99=6ms"), f).pass).toBe(true);
    expect(evaluateSlo(parseSlo("p99=1ms"), f).pass).toBe(false);
    expect(evaluateSlo(parseSlo("p99=1ms"), undefined).pass).toBe(false);
  });
});

describe("verdict", () => {
  const results = [fanout("parley", [step(100, 5), step(200, 60)]), fanout("baseline", [step(100, 1), step(200, 2), step(400, 70)])];

  test("ratios are Parley ÷ baseline", () => {
    expect(ratios(results).fanout.kneeDeliveriesPerSec).toBe(0.5);
    expect(ratios(results).fanout.p99AtKneeMs).toBe(2.5);
  });

  test("exit codes: clean run 0, SLO miss 2, invalid 3, audit failure 1", () => {
    expect(verdict({ ...base, results }, []).exitCode).toBe(EXIT.OK);
    expect(verdict({ ...base, results }, [parseSlo("p99=30ms@4000")]).exitCode).toBe(EXIT.SLO);
    const invalid = [{ ...results[0], invalid: ["generator CPU 97%"] }, results[1]];
    const v = verdict({ ...base, results: invalid }, []);
    expect(v.exitCode).toBe(EXIT.INVALID);
    expect(v.valid).toBe(false);
    const a = new Audit();
    a.watch(0, "r", 0);
    a.sent("m");
    a.ack("m", "r", 1);
    const broken = [{ ...results[0], audit: a.report() }, results[1]];
    expect(verdict({ ...base, results: broken }, [parseSlo("p99=30ms@4000")]).exitCode).toBe(EXIT.FAILED);
  });

  test("the baseline's audit never fails the run", () => {
    const a = new Audit();
    a.sent("lost");
    const r = verdict({ ...base, results: [results[0], { ...results[1], audit: a.report() }] }, []);
    expect(r.exitCode).toBe(EXIT.OK);
  });

  test("scenario errors fail the run", () => {
    expect(verdict({ ...base, results: [{ ...results[0], error: "boom" }] }, []).exitCode).toBe(EXIT.FAILED);
  });
});

describe("rendering", () => {
  const run = verdict({ ...base, results: [fanout("parley", [step(100, 5), step(200, 60)]), fanout("baseline", [step(100, 1)])] }, [parseSlo("p99=30ms@2000")]);

  test("markdown names the verdict, audit, SLO and both targets", () => {
    const md = markdown(run);
    expect(md).toContain("# Parley bench — PASS");
    expect(md).toContain("Correctness audit:** clean");
    expect(md).toContain("| p99=30ms@2000 | ✓ met |");
    expect(md).toContain("parley ladder:");
    expect(md).toContain("baseline ladder:");
    expect(md).toContain("| ×5 |");
  });

  test("a ladder step shows its store's time per message (commit + search index), or – without one", () => {
    const stored = { ...step(100, 5), serverUsPerMsg: 180, storeUsPerMsg: { commit: 24.1, index: 7.3 } };
    const md = markdown(verdict({ ...base, results: [fanout("parley", [stored]), fanout("baseline", [step(100, 1)])] }, []));
    expect(md).toContain("| server µs/msg | store µs/msg (commit + index) |");
    expect(md).toContain("| 180 | 24.1 + 7.3 | ✓ |");
    expect(md).toMatch(/\| – \| – \| ✓ \|\n/); // the baseline: no server CPU, no store
  });

  test("a closed loop's server CPU per message is split into the store and the rest, next to the baseline's", () => {
    const loop = (target: "parley" | "baseline", server: number, store?: { commit: number; index: number }): ScenarioResult => ({
      scenario: "commit", target, generatorCpu: 0.5, invalid: [], audit: new Audit().report(),
      metrics: { serverUsPerMsg: metric(server, "µs", "lower"), storeUsPerMsg: metric(store && store.commit + store.index, "µs", "lower") },
      details: store ? { storeUsPerMsg: store } : {},
    });
    const parley = loop("parley", 38.6, { commit: 16.4, index: 7.3 });
    expect(storeLine(parley, loop("baseline", 11.7))).toBe(
      "parley: of 38.6 µs of server CPU per message, the store held the event loop 23.7 µs (commit 16.4 + search index 7.3); the rest: 14.9 µs, ×1.27 the baseline's whole 11.7 µs",
    );
    expect(storeLine(parley, undefined)).toBe("parley: of 38.6 µs of server CPU per message, the store held the event loop 23.7 µs (commit 16.4 + search index 7.3); the rest: 14.9 µs");
    expect(storeLine(loop("baseline", 11.7), undefined)).toBeUndefined();
    expect(markdown(verdict({ ...base, results: [parley, loop("baseline", 11.7)] }, []))).toContain("- parley: of 38.6 µs of server CPU per message");
  });

  test("html embeds SVG charts and escapes text", () => {
    const page = html({ ...run, startedAt: "<script>" }, 50);
    expect(page).toContain("<svg");
    expect(page).not.toContain("<title>Parley bench <script>");
    expect(page).toContain("&lt;script&gt;");
    const svg = latencyChart([{ name: "parley", steps: [step(100, 5), step(200, 60)], dashed: false }], 50);
    expect(svg.match(/<path /g)?.length).toBe(3); // p50, p99, p99.9
    expect(svg).toContain("SLO 50 ms");
    expect(latencyChart([], 50)).toBe("");
  });
});
