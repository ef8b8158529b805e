// End-to-end smoke test of `bench --nodes 3`: three compiled nodes on PostgreSQL + Redis behind HAProxy, a tiny fanout (~10 s); invariants only, never timings.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "./cli";
import { EXIT, type RunResult } from "./lib/report";

test("bench --nodes 3 crosses nodes through HAProxy with a clean audit", async () => {
  const out = mkdtempSync(join(tmpdir(), "parley-bench-cluster-smoke-"));
  try {
    const code = await main([
      "--nodes", "3", "--quick", "--connections", "60", "--room-size", "20", "--senders", "6", "--rates", "100", "--step", "2",
      "--no-pin", "--out", out,
    ]);
    // 3 (invalid) means the machine was too busy to trust the figures: acceptable here, the tool still worked.
    expect([EXIT.OK, EXIT.INVALID] as number[]).toContain(code);
    const run = (await Bun.file(join(out, "result.json")).json()) as RunResult;
    expect(run.errors).toEqual([]);
    expect(run.audit.ok).toBe(true);
    expect(run.audit.acked).toBeGreaterThan(0);
    expect(run.audit.roomsChecked).toBe(3);
    expect(run.topology).toContain("3 nodes");
    const fanout = run.results.find((r) => r.scenario === "fanout")!;
    expect(fanout.target).toBe("cluster");
    // Every node got a third of the sockets (one at a time through leastconn), so most deliveries cross nodes.
    const placement = fanout.details!.placement as { perNode: number[]; crossingShare: number };
    expect(placement.perNode).toEqual([20, 20, 20]);
    expect(placement.crossingShare).toBeGreaterThan(0.5);
    const step = fanout.steps!.at(-1)!;
    expect(step.lost).toBe(0);
    expect(step.crossing!.remote.count).toBeGreaterThan(0);
    // A socket that reconnected (closed as a slow consumer) may sit on another node now: its deliveries are left out of the split.
    expect(step.crossing!.local.count + step.crossing!.remote.count).toBeLessThanOrEqual(step.delivered);
    expect(Object.keys(step.serverCpuBy!).sort()).toEqual(["haproxy", "node1", "node2", "node3", "postgres", "redis"]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 60_000);
