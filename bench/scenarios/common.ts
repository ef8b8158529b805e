// Helpers shared by the messaging scenarios: draining a step, the storage audit, and generator-health checks.
import type { AuditReport } from "../lib/audit";
import { type GeneratorCost, generatorLimited, SATURATED, usPerDelivery } from "../lib/progress";
import { fetchLog, type Layout, ownerOf } from "../lib/provision";
import type { Recorder, StepStats } from "../lib/recorder";
import type { Ctx, ScenarioResult } from "./types";

/**
 * Waits until every owed delivery and every ack arrived, or until nothing new
 * arrived for `quietMs` (a stalled server), capped at `capMs`. Progress-based, so
 * a slow but live server is never cut off by a fixed timeout.
 */
export async function drain(st: StepStats, answered: () => number, quietMs: number, capMs: number, onTick?: () => void): Promise<boolean> {
  const start = performance.now();
  let last = -1;
  let lastChange = start;
  for (;;) {
    const done = answered() >= st.sent && st.delivered >= st.expected;
    if (done) return true;
    const now = performance.now();
    const mark = st.delivered + st.acked;
    if (mark !== last) {
      last = mark;
      lastChange = now;
    }
    if (now - lastChange > quietMs || now - start > capMs) return false;
    onTick?.();
    await Bun.sleep(25);
  }
}

/** Feeds every room's stored log into the audit (durable targets only) and returns the verdict. */
export function finishAudit(ctx: Ctx, rec: Recorder): Promise<AuditReport> {
  return auditStorage(ctx.target.url, ctx.target.durable, ctx.layout, rec, (n, of) => ctx.progress.set(`${ctx.label}: storage audit ${n}/${of} rooms`));
}

/** finishAudit's work, from plain data (a fanout worker process has no Ctx). */
export async function auditStorage(url: string, durable: boolean, layout: Layout, rec: Recorder, tick?: (n: number, of: number) => void): Promise<AuditReport> {
  if (durable) {
    const rooms = rec.audit.roomsWithAcks();
    let n = 0;
    for (const room of rooms) {
      try {
        rec.audit.stored(room, await fetchLog(url, room, ownerOf(layout, room).token));
      } catch (e) {
        rec.audit.unreadable(room, (e as Error).message);
      }
      tick?.(++n, rooms.length);
    }
  }
  return rec.audit.report();
}

/**
 * Closed loops (throughput, commit, history, login) run as fast as the slower side allows. When that
 * is the generator, the rate is a lower bound of the server's capacity rather than a wrong figure:
 * the result says so (generatorBound) instead of invalidating the run. The raw Bun baseline out-runs
 * a one-core JavaScript generator in every closed loop on a 2-core machine.
 */
export function boundNote(cpu: number, where: string): { generatorBound: boolean; notes: string[] } {
  const bound = cpu >= SATURATED;
  return { generatorBound: bound, notes: bound ? [`generator-bound (${(cpu * 100).toFixed(0)}% of its core during ${where}): rates are lower bounds of the server's capacity, latencies include the generator's queueing`] : [] };
}

/** Invalidity note when the generator ran out of CPU in an open loop (its own delays would be charged to the server). */
export function cpuInvalid(cpu: number, where: string): string[] {
  return cpu >= SATURATED ? [`generator CPU ${(cpu * 100).toFixed(0)}% of a core during ${where} (limit ${SATURATED * 100} %): results are generator-bound`] : [];
}

/** What every report says of the generator: its CPU per delivery received, over how many processes, and whether it was the limit. */
export function generatorSummary(c: GeneratorCost): NonNullable<ScenarioResult["generatorCost"]> {
  return { usPerDelivery: usPerDelivery(c), cpuSec: Math.round(c.cpuSec * 1000) / 1000, deliveries: c.deliveries, processes: c.shares.length, shares: c.shares, limited: generatorLimited(c.shares) };
}
