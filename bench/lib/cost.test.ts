// Unit tests for the generator's cost counter (CPU per delivery received) and the rule that says whether it was the limit.
import { describe, expect, test } from "bun:test";
import { generatorSummary } from "../scenarios/common";
import type { ScenarioResult } from "../scenarios/types";
import { addCosts, costOf, CpuMeter, generatorLimited, SATURATED, usPerDelivery } from "./progress";
import { generatorVerdict, markdown, verdict } from "./report";

/** A clock the test moves by hand: CPU µs and wall ms. */
function fakeClock() {
  const c = { cpu: 5_000_000, wall: 1_000, cpuUs: () => c.cpu, wallMs: () => c.wall };
  return c;
}

describe("COST generator CPU per delivery", () => {
  test("COST-1 CpuMeter measures CPU-seconds and the share of a core since restart", () => {
    const clock = fakeClock();
    const m = new CpuMeter(clock);
    clock.cpu += 1_500_000;
    clock.wall += 2_000;
    expect(m.sample()).toEqual({ cpuSec: 1.5, wallSec: 2 });
    expect(m.read()).toBe(0.75);
    m.restart();
    expect(m.sample()).toEqual({ cpuSec: 0, wallSec: 0 });
    expect(m.read()).toBe(0);
  });

  test("COST-2 µs per delivery = CPU-seconds of every generator process ÷ deliveries received", () => {
    const c = costOf([0.6, 0.4], 2, 500_000);
    expect(c.cpuSec).toBe(1);
    expect(c.shares).toEqual([0.3, 0.2]);
    expect(usPerDelivery(c)).toBe(2);
    expect(usPerDelivery(costOf([0.3], 1, 0))).toBeNull();
    expect(usPerDelivery({ cpuSec: 1, deliveries: 3 })).toBe(333333.33);
  });

  test("COST-3 a ladder's steps add up; each process keeps its highest share", () => {
    const total = addCosts([costOf([0.2, 0.5], 1, 100_000), costOf([0.9, 0.1], 1, 400_000)]);
    expect(total).toEqual({ cpuSec: 1.7, deliveries: 500_000, wallSec: 2, shares: [0.9, 0.5] });
    expect(usPerDelivery(total)).toBe(3.4);
    expect(addCosts([])).toEqual({ cpuSec: 0, deliveries: 0, wallSec: 0, shares: [] });
  });
});

describe("COST was the generator the limit", () => {
  const result = (shares: number[], deliveries = 1_000_000): ScenarioResult => ({
    scenario: "fanout", target: "parley", metrics: {}, invalid: [], generatorCpu: Math.max(...shares),
    generatorCost: generatorSummary({ cpuSec: 1.5, deliveries, wallSec: 1, shares }),
  });

  test("COST-4 the limit is any process at ≥ 85 % of its core", () => {
    expect(SATURATED).toBe(0.85);
    expect(generatorLimited([0.84])).toBe(false);
    expect(generatorLimited([0.85])).toBe(true);
    expect(generatorLimited([0.3, 0.86])).toBe(true);
    expect(generatorLimited([])).toBe(false);
  });

  test("COST-5 every report says it, with the cost per delivery and the processes", () => {
    const free = generatorVerdict(result([0.4, 0.5]));
    expect(free).toContain("1.5 µs of generator CPU per delivery received");
    expect(free).toContain("2 processes, busiest at 50 %");
    expect(free).toContain("not the limit");
    const bound = generatorVerdict(result([0.9]));
    expect(bound).toContain("the generator was the limit");
    expect(bound).toContain("judged per CPU-second");
    expect(generatorVerdict(result([0.2], 0))).toContain("no deliveries");
    expect(generatorVerdict({ ...result([0.2]), generatorCost: undefined })).toContain("cost not measured");
    const run = verdict({ version: 1, startedAt: "t0", finishedAt: "t1", quick: true, machine: {}, plan: {}, knee: "p99=50ms", errors: [], results: [result([0.9])] }, []);
    expect(markdown(run)).toContain("**Generator:**");
    expect(markdown(run)).toContain("the generator was the limit");
  });
});
