// Throughput: closed loop (each sender keeps W sends outstanding, next one on ack) to find peak deliveries/s; latency here is service time, not open-loop.
import { CpuMeter } from "../lib/progress";
import { closeAll, connectAll, Recorder, senderSlot } from "../lib/recorder";
import { nowMs, stampBody } from "../lib/schedule";
import { cpuSeconds } from "../lib/target";
import { cpuInvalid, drain, finishAudit } from "./common";
import { type Ctx, metric, type ScenarioResult } from "./types";

export async function throughput(ctx: Ctx): Promise<ScenarioResult> {
  const { plan, layout, target, progress } = ctx;
  const rec = new Recorder(layout, plan.connections);
  const conns = await connectAll(target.url, layout, plan.connections, rec, { autoReconnect: true }, progress, ctx.label);
  const st = rec.step("t");
  const senderOf = new Map<number, { s: number; room: string }>();
  for (let s = 0; s < plan.senders; s++) {
    const slot = senderSlot(s, layout);
    senderOf.set(slot.conn, { s, room: slot.room });
  }
  let running = true;
  let n = 0;
  const sendOne = (connIdx: number) => {
    const who = senderOf.get(connIdx);
    if (!who || !running) return;
    const id = `t.${who.s}.${n++}`;
    rec.sent(id);
    if (!conns[connIdx].send(who.room, id, stampBody(nowMs(), id, plan.bodyChars))) rec.audit.abandon(id);
  };
  rec.onAck = (conn) => sendOne(conn.idx);
  // A warm-up of 10 % is left out of the rate, so connection set-up and JIT do not dilute the peak.
  const warmMs = plan.throughputMs * 0.1;
  const cpu = new CpuMeter();
  for (const c of senderOf.keys()) for (let w = 0; w < plan.window; w++) sendOne(c);
  await Bun.sleep(warmMs);
  const d0 = st.delivered;
  const a0 = st.acked;
  const t0 = performance.now();
  const srv0 = cpuSeconds(target.pid);
  cpu.restart();
  const end = t0 + plan.throughputMs - warmMs;
  while (performance.now() < end) {
    progress.set(`${ctx.label}: ${st.delivered} deliveries, ${Math.round(((st.delivered - d0) * 1000) / Math.max(1, performance.now() - t0))}/s`);
    await Bun.sleep(Math.min(250, Math.max(1, end - performance.now())));
  }
  const secs = (performance.now() - t0) / 1000;
  const delivered = st.delivered - d0;
  const acked = st.acked - a0;
  const genCpu = cpu.read();
  const srv1 = cpuSeconds(target.pid);
  running = false;
  await drain(st, () => st.acked, plan.drainQuietMs, 60_000);
  closeAll(conns);
  const audit = await finishAudit(ctx, rec);
  return {
    scenario: "throughput",
    target: target.kind,
    metrics: {
      peakDeliveriesPerSec: metric(delivered / secs, "deliveries/s", "higher"),
      peakMsgsPerSec: metric(acked / secs, "msgs/s", "higher"),
      p50Ms: metric(st.latency.percentile(50) / 1000, "ms", "lower"),
      p99Ms: metric(st.latency.percentile(99) / 1000, "ms", "lower"),
    },
    details: {
      connections: plan.connections, roomSize: layout.roomSize, senders: plan.senders, window: plan.window, seconds: Math.round(secs * 100) / 100,
      latencyUs: st.latency.summary(), ackLatencyUs: st.ackLatency.summary(),
      serverCpu: srv0 !== undefined && srv1 !== undefined ? Math.round(((srv1 - srv0) / secs) * 100) / 100 : undefined,
      lost: Math.max(0, st.expected - st.delivered),
    },
    audit,
    generatorCpu: Math.round(genCpu * 100) / 100,
    invalid: cpuInvalid(genCpu, "throughput"),
  };
}
