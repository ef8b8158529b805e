// End-to-end smoke test of the bench CLI: a tiny plan (one scenario, a few connections, ~5 s) against a spawned Parley, so CI exercises the tool.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "./cli";
import { EXIT, type RunResult } from "./lib/report";
import type { FanoutStep } from "./scenarios/types";

test("bench runs throughput end to end with a clean audit", async () => {
  const out = mkdtempSync(join(tmpdir(), "parley-bench-smoke-"));
  try {
    const code = await main([
      "--quick", "--scenario", "throughput", "--connections", "20", "--room-size", "10", "--senders", "4", "--duration", "2",
      "--no-baseline", "--no-pin", "--out", out,
    ]);
    // 3 (invalid) means the machine was too busy to trust the figures: acceptable here, the tool still worked.
    expect([EXIT.OK, EXIT.INVALID] as number[]).toContain(code);
    const run = (await Bun.file(join(out, "result.json")).json()) as RunResult;
    expect(run.errors).toEqual([]);
    expect(run.audit.ok).toBe(true);
    expect(run.audit.acked).toBeGreaterThan(0);
    expect(run.audit.roomsChecked).toBe(2);
    expect(run.results.map((r) => `${r.target} ${r.scenario}`)).toEqual(["parley throughput"]);
    expect(run.targets.map((t) => `${t.id} ${t.verdict}`)).toEqual(["P1", "P2", "P3", "P4", "P5", "P6"].map((id) => `${id} NOT MEASURED`));
    expect(await Bun.file(join(out, "summary.md")).text()).toContain("**Targets**");
    expect(await Bun.file(join(out, "report.html")).text()).toContain("<svg");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 30_000);

test("BENCH-SMOKE-2 fanout end to end through the raw WebSocket client (lib/ws.ts): every delivery audited, the cost counted", async () => {
  const out = mkdtempSync(join(tmpdir(), "parley-bench-smoke-"));
  try {
    const code = await main([
      "--quick", "--scenario", "fanout", "--connections", "20", "--room-size", "10", "--senders", "4", "--rates", "20", "--step", "1",
      "--slo", "p99=600s", "--no-baseline", "--no-pin", "--out", out,
    ]);
    expect([EXIT.OK, EXIT.INVALID] as number[]).toContain(code);
    const run = (await Bun.file(join(out, "result.json")).json()) as RunResult;
    expect(run.errors).toEqual([]);
    expect(run.audit.ok).toBe(true);
    const step = (run.results[0].steps as FanoutStep[])[0];
    expect(step.acked).toBe(step.sent);
    expect(step.lost).toBe(0);
    // Every acked message reached both rooms' 10 members (the warm-up's deliveries are audited too, not counted in the step).
    expect(step.delivered).toBe(step.acked * 10);
    expect(run.audit.deliveries).toBeGreaterThanOrEqual(step.delivered);
    expect(step.generatorUsPerDelivery).toBeGreaterThan(0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 60_000);
