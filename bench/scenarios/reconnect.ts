// Reconnect storm: N clients, SIGKILL the server right after a burst of acked sends, restart it on the same port and data; time to 99% resumed, nothing lost.
import type { Conn } from "../lib/client";
import { waitFor } from "../lib/progress";
import { roomsInUse } from "../lib/provision";
import { closeAll, connectAll, Recorder, senderSlot } from "../lib/recorder";
import { clientMsgId, nowMs, stampBody } from "../lib/schedule";
import { drain, finishAudit } from "./common";
import { type Ctx, metric, type ScenarioResult } from "./types";

/** One message per room from its first member, `perRoom` times; resolves when all are answered. */
async function burst(ctx: Ctx, rec: Recorder, conns: Conn[], tag: string, perRoom: number): Promise<void> {
  const st = rec.step(tag);
  for (let k = 0; k < perRoom; k++) {
    for (let r = 0; r < roomsInUse(ctx.layout, conns.length); r++) {
      const slot = senderSlot(r, ctx.layout, conns.length);
      const id = clientMsgId(tag, r, k);
      rec.sent(id);
      if (!conns[slot.conn].send(slot.room, id, stampBody(nowMs(), id, ctx.plan.bodyChars))) rec.audit.abandon(id);
    }
  }
  await waitFor(() => st.acked >= st.sent, 30_000);
}

export async function reconnectStorm(ctx: Ctx): Promise<ScenarioResult> {
  const { plan, layout, target, progress } = ctx;
  if (!target.restartable) {
    return { scenario: "reconnect-storm", target: target.kind, metrics: {}, generatorCpu: 0, invalid: [], details: { skipped: "needs a server this bench spawned (it kills and restarts it)" } };
  }
  const n = Math.min(plan.reconnectClients, layout.members);
  const rec = new Recorder(layout, n);
  const conns = await connectAll(target.url, layout, n, rec, { autoReconnect: true, backoffBaseMs: 100, backoffCapMs: 2000 }, progress, ctx.label);
  await burst(ctx, rec, conns, "r0", plan.reconnectMsgsPerRoom);
  // Kill at once, without waiting for deliveries: events still in flight must come back through resume.
  const killAt = performance.now();
  await target.kill();
  progress.set(`${ctx.label}: server killed, restarting`);
  await target.restart();
  const upAt = performance.now();
  const need = Math.ceil(n * 0.99);
  const resumedOk = await waitFor(() => rec.resumes.length >= need, 60_000, () => progress.set(`${ctx.label}: resumed ${rec.resumes.length}/${n}`));
  const at99 = resumedOk ? [...rec.resumes].sort((a, b) => a - b)[need - 1] : undefined;
  if (resumedOk) await waitFor(() => conns.every((c) => c.open), 30_000);
  const allAt = rec.resumes.length >= n ? Math.max(...rec.resumes) : undefined;
  // Where the time goes: attempts refused while the server was down or busy, and resumes over time after it listened.
  const failed: Record<string, number> = {};
  for (const c of conns) for (const [code, k] of c.failedByCode) failed[code] = (failed[code] ?? 0) + k;
  const sorted = [...rec.resumes].sort((a, b) => a - b);
  const resumedBy = Object.fromEntries([250, 500, 1000, 2000, 4000].map((ms) => [`${ms}ms`, sorted.filter((t) => t - upAt <= ms).length]));
  const st0 = rec.step("r0");
  const st1 = rec.step("r1");
  if (resumedOk) {
    // Live traffic after the storm proves the resumed sockets are really subscribed.
    await burst(ctx, rec, conns, "r1", plan.reconnectMsgsPerRoom);
    await drain(st1, () => st1.acked, plan.drainQuietMs, 30_000);
    await drain(st0, () => st0.acked, plan.drainQuietMs, 30_000);
  }
  closeAll(conns);
  // The baseline keeps no state across a restart, so only its timing is comparable; its audit would be meaningless.
  const audit = target.durable ? await finishAudit(ctx, rec) : undefined;
  const lost = Math.max(0, st0.expected - st0.delivered) + Math.max(0, st1.expected - st1.delivered);
  return {
    scenario: "reconnect-storm",
    target: target.kind,
    metrics: {
      resume99FromKillMs: metric(at99 !== undefined ? at99 - killAt : null, "ms", "lower"),
      resume99FromListenMs: metric(at99 !== undefined ? at99 - upAt : null, "ms", "lower"),
      restartMs: metric(upAt - killAt, "ms", "lower"),
    },
    details: {
      clients: n, messagesBeforeKill: st0.acked, messagesAfter: st1.acked,
      resumed: rec.resumes.length, allResumedFromKillMs: allAt !== undefined ? Math.round(allAt - killAt) : null,
      failedAttemptsByCloseCode: failed, resumedWithinMsOfListen: resumedBy,
      lostDeliveries: target.durable ? lost : "n/a (baseline keeps no state)",
      replayLatencyUs: st0.latency.summary(),
    },
    audit,
    generatorCpu: 0,
    invalid: [],
    // Clients that cannot resume after a restart are a server failure, not a measurement problem.
    error: resumedOk ? undefined : `only ${rec.resumes.length}/${n} clients resumed within 60 s of the restart`,
  };
}
