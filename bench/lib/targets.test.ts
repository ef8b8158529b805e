// Unit tests for the P1–P6 verdicts on synthetic results: PASS, FAIL, NOT MEASURED (quick or undersized), and the exit code when enforced.
import { describe, expect, test } from "bun:test";
import { nextStep, ladder } from "../scenarios/fanout";
import { idleFigures } from "../scenarios/idle";
import type { FanoutStep, ScenarioResult } from "../scenarios/types";
import { metric } from "../scenarios/types";
import { Audit } from "./audit";
import { EXIT, markdown, verdict } from "./report";
import { evaluateTargets, p1, p2, p3, p4, p5, p6 } from "./targets";

function step(rate: number, p99ms: number, p999ms = p99ms * 1.5, lost = 0): FanoutStep {
  const lat = { count: 100, min: 100, mean: 1, p50: 1000, p90: 1, p95: 1, p99: p99ms * 1000, p999: p999ms * 1000, max: p999ms * 1000, clamped: 0 };
  return {
    ratePerSec: rate, offeredDeliveriesPerSec: rate * 20, achievedDeliveriesPerSec: rate * 20, sent: rate, notSent: 0, acked: rate, expected: rate * 20,
    delivered: rate * 20 - lost, lost, latencyUs: lat, ackLatencyUs: lat, sloUs: { p99: lat.p99 }, sendLagP99Ms: 0.5, generatorCpu: 0.3, pass: p99ms <= 50 && lost === 0,
  };
}

const res = (scenario: ScenarioResult["scenario"], target: "parley" | "baseline", metrics: Record<string, number | null>, details: Record<string, unknown> = {}, steps?: FanoutStep[]): ScenarioResult => ({
  scenario, target, steps, details, generatorCpu: 0.2, invalid: [], audit: new Audit().report(),
  metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, metric(v, "", "higher")])),
});

const fan = (target: "parley" | "baseline", p99: number, p999: number, lost = 0, conns = 1000) =>
  res("fanout", target, {}, { connections: conns, roomSize: 20 }, [step(1000, 2), step(5000, p99, p999, lost)]);

function storedAudit() {
  const a = new Audit();
  a.sent("c.0.0");
  a.ack("c.0.0", "r", 1);
  a.stored("r", [{ seq: 1, clientMsgId: "c.0.0" }]);
  return a.report();
}

describe("targets", () => {
  test("P1: Parley ÷ baseline deliveries/s against 0.5", () => {
    const r = (a: number, b: number) => p1({ quick: false, results: [res("throughput", "parley", { peakDeliveriesPerSec: a }), res("throughput", "baseline", { peakDeliveriesPerSec: b })] });
    expect(r(60, 100).verdict).toBe("PASS");
    expect(r(40, 100).verdict).toBe("FAIL");
    expect(r(40, 100).detail).toContain("×0.400");
    expect(p1({ quick: false, results: [res("throughput", "parley", { peakDeliveriesPerSec: 1 })] }).verdict).toBe("NOT MEASURED");
  });

  test("P1: a generator-bound baseline is compared per core of server CPU", () => {
    const main = res("throughput", "parley", { peakDeliveriesPerSec: 280 }, { serverCpu: 0.9 });
    const base = { ...res("throughput", "baseline", { peakDeliveriesPerSec: 350 }, { serverCpu: 0.55 }), generatorBound: true };
    const r = p1({ quick: false, results: [main, base] });
    expect(r.verdict).toBe("FAIL"); // 311 vs 636 per core = ×0.49, although the raw ratio is ×0.8
    expect(r.detail).toContain("per core of server CPU");
    const cheap = { ...base, details: { serverCpu: 0.4 } };
    expect(p1({ quick: false, results: [main, cheap] }).verdict).toBe("FAIL");
    const fast = { ...main, details: { serverCpu: 0.5 } };
    expect(p1({ quick: false, results: [fast, base] }).verdict).toBe("PASS");
  });

  test("P2: absolute p99/p99.9, loss and the ratio to the baseline at 100,000 deliveries/s", () => {
    const r = (main: ScenarioResult, base = fan("baseline", 10, 20)) => p2({ quick: false, results: [main, base] });
    expect(r(fan("parley", 20, 50)).verdict).toBe("PASS");
    expect(r(fan("parley", 31, 50)).verdict).toBe("FAIL");
    expect(r(fan("parley", 20, 61)).verdict).toBe("FAIL");
    expect(r(fan("parley", 20, 50, 1)).verdict).toBe("FAIL");
    expect(r(fan("parley", 20, 50), fan("baseline", 5, 10)).verdict).toBe("FAIL"); // 20 > 2 × 5
    expect(r(fan("parley", 20, 50, 0, 200)).verdict).toBe("NOT MEASURED");
    const missing = res("fanout", "parley", {}, { connections: 1000, roomSize: 20 }, [step(1000, 80)]);
    expect(r(missing).verdict).toBe("FAIL");
  });

  test("P3: KiB per connection and drift, only at 10,000 connections", () => {
    const idle = (per: number, drift: number, n = 10_000) => res("idle", "parley", { rssPerConnectionKb: per, rssDriftAfterCyclesPct: drift }, { connections: n, cycles: 3 });
    expect(p3({ quick: false, results: [idle(7.5, 2)] }).verdict).toBe("PASS");
    expect(p3({ quick: false, results: [idle(8.5, 2)] }).verdict).toBe("FAIL");
    expect(p3({ quick: false, results: [idle(7.5, 6)] }).verdict).toBe("FAIL");
    expect(p3({ quick: false, results: [idle(7.5, 2, 500)] }).verdict).toBe("NOT MEASURED");
  });

  test("P4: acked msgs/s with 100 senders, and the storage audit must have read them back", () => {
    const c = (rate: number, senders = 100) => ({ ...res("commit", "parley", { ackedMsgsPerSec: rate, ackP99Ms: 5 }, { senders, window: 8 }), audit: storedAudit() });
    expect(p4({ quick: false, results: [c(60_000)] }).verdict).toBe("PASS");
    expect(p4({ quick: false, results: [c(40_000)] }).verdict).toBe("FAIL");
    expect(p4({ quick: false, results: [c(60_000, 10)] }).verdict).toBe("NOT MEASURED");
    expect(p4({ quick: false, results: [{ ...c(60_000), audit: new Audit().report() }] }).verdict).toBe("FAIL"); // nothing read back
  });

  test("P5: history req/s with 32 connections against 5,000", () => {
    const h = (rate: number, connections = 32) => res("history", "parley", { reqPerSec: rate, p99Ms: 10 }, { connections });
    expect(p5({ quick: false, results: [h(5200)] }).verdict).toBe("PASS");
    expect(p5({ quick: false, results: [h(4400)] }).verdict).toBe("FAIL");
    expect(p5({ quick: false, results: [h(9000, 8)] }).verdict).toBe("NOT MEASURED");
    expect(p5({ quick: false, results: [{ ...h(9000), error: "12 non-2xx" }] }).verdict).toBe("FAIL");
  });

  test("P6: cold RSS at 10,000 connections and the 10,000-client storm, both halves needed", () => {
    const idle = (mb: number | null, n = 10_000) => res("idle", "parley", { rssColdConnectedMb: mb }, { connections: n });
    const storm = (ms: number | null, clients = 10_000) => res("reconnect-storm", "parley", { resume99FromKillMs: ms }, { clients });
    const v = (...rs: ScenarioResult[]) => p6({ quick: false, results: rs }).verdict;
    expect(v(idle(140), storm(9000))).toBe("PASS");
    expect(v(idle(160), storm(9000))).toBe("FAIL");
    expect(v(idle(145), storm(9000))).toBe("FAIL"); // 145 MiB is 152 MB: the goal is in MB
    expect(v(idle(140), storm(11_000))).toBe("FAIL");
    expect(v(idle(140), storm(9000, 1000))).toBe("NOT MEASURED");
    expect(v(idle(null), storm(9000))).toBe("NOT MEASURED");
    expect(v(idle(140), { ...storm(null), error: "only 10/10000 clients resumed within 60 s of the restart" })).toBe("FAIL");
    expect(p6({ quick: false, results: [idle(140), storm(9000)] }).detail).toContain("99 % of 10,000 resumed 9,000 ms");
  });

  test("quick runs never claim a verdict, and say why", () => {
    for (const t of evaluateTargets({ quick: true, results: [fan("parley", 1, 1), fan("baseline", 1, 1)] })) {
      expect(t.verdict).toBe("NOT MEASURED");
      expect(t.detail.length).toBeGreaterThan(0);
    }
  });

  test("a FAIL sets exit 2 only when targets are enforced; the summary prints the block", () => {
    const base = { version: 1 as const, startedAt: "t0", finishedAt: "t1", quick: false, machine: {}, plan: {}, knee: "p99=50ms", errors: [] as string[] };
    const results = [fan("parley", 80, 90), fan("baseline", 10, 20)];
    expect(verdict({ ...base, results }, [], false).exitCode).toBe(EXIT.OK);
    const run = verdict({ ...base, results }, [], true);
    expect(run.exitCode).toBe(EXIT.SLO);
    expect(run.targets.find((t) => t.id === "P2")!.verdict).toBe("FAIL");
    const md = markdown(run);
    expect(md).toContain("TARGET MISSED");
    expect(md).toMatch(/\| P2 \| ✗ FAIL \|/);
    expect(md).toMatch(/\| P1 \| NOT MEASURED \|/);
  });
});

describe("fanout ladder", () => {
  test("required rates join the ladder and are measured past the knee", () => {
    const rates = ladder([250, 500, 1000, 8000], [5000]);
    expect(rates).toEqual([250, 500, 1000, 5000, 8000]);
    expect(nextStep(rates, 0, false, [5000])).toBe(1);
    expect(nextStep(rates, 1, true, [5000])).toBe(3); // failed at 500: jump to 5000
    expect(nextStep(rates, 3, true, [5000])).toBe(-1); // nothing required above: stop
    expect(nextStep(rates, 4, false, [5000])).toBe(-1);
  });
});

describe("idle figures", () => {
  test("per connection from the post-warm-up baseline; drift between cycle 0 and the last cycle", () => {
    const f = idleFigures(1000, 50_000, [58_000, 59_000, 58_500, 58_580], 51_000);
    expect(f.perConnKb).toBe(8);
    expect(f.drift).toBeCloseTo(0.01, 5);
    expect(f.growthKb).toBe(1000);
    expect(idleFigures(1000, undefined, [1]).perConnKb).toBeNull();
  });
});
