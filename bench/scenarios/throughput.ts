// Closed-loop scenarios (each sender keeps W sends outstanding, the next one on ack): `throughput` finds peak deliveries/s in rooms of K;
// `commit` (P4) puts each of S senders alone in its own room, so every message is one durable commit plus its own echo and the acked rate is the figure.
import type { Conn } from "../lib/client";
import { costOf, CpuMeter, type GeneratorCost } from "../lib/progress";
import { closeAll, connectAll, Recorder, senderSlot } from "../lib/recorder";
import { clientMsgId, nowMs, stampBody } from "../lib/schedule";
import { scrapeMetrics, storeShare, type StoreShare } from "../lib/server-metrics";
import { cpuSeconds } from "../lib/target";
import { boundNote, drain, finishAudit, generatorSummary } from "./common";
import { type Ctx, metric, type ScenarioResult } from "./types";

interface LoopResult {
  secs: number;
  delivered: number;
  acked: number;
  genCpu: number;
  cost: GeneratorCost;
  serverCpu?: number;
  /** Server CPU-seconds ÷ messages acked, µs. */
  serverUsPerMsg?: number;
  /** Parley: µs per acked message its store held the event loop (lib/server-metrics.ts). */
  storeUsPerMsg?: StoreShare;
  rec: Recorder;
  lost: number;
}

/**
 * Runs the closed loop over `connections` sockets; `senders` maps a connection index to the room it sends to.
 * The first 10 % of `durationMs` is warm-up, left out of the rates so connection set-up and JIT do not dilute the peak.
 */
async function closedLoop(ctx: Ctx, tag: string, connections: number, senders: Map<number, { s: number; room: string }>, durationMs: number): Promise<LoopResult> {
  const { plan, layout, target, progress } = ctx;
  const rec = new Recorder(layout, connections);
  const conns: Conn[] = await connectAll(target.url, layout, connections, rec, { autoReconnect: true }, progress, ctx.label);
  const st = rec.step(tag);
  let running = true;
  let n = 0;
  const sendOne = (connIdx: number) => {
    const who = senders.get(connIdx);
    if (!who || !running) return;
    const id = clientMsgId(tag, who.s, n++);
    rec.sent(id);
    if (!conns[connIdx].send(who.room, id, stampBody(nowMs(), id, plan.bodyChars))) rec.audit.abandon(id);
  };
  rec.onAck = (conn) => sendOne(conn.idx);
  const warmMs = durationMs * 0.1;
  const cpu = new CpuMeter();
  for (const c of senders.keys()) for (let w = 0; w < plan.window; w++) sendOne(c);
  await Bun.sleep(warmMs);
  const d0 = st.delivered;
  const a0 = st.acked;
  const received0 = rec.audit.delivered;
  const metrics0 = target.kind === "parley" || target.kind === "external" ? await scrapeMetrics(target.url) : undefined;
  const t0 = performance.now();
  const srv0 = cpuSeconds(target.pid);
  cpu.restart();
  const end = t0 + durationMs - warmMs;
  while (performance.now() < end) {
    const secs = Math.max(0.001, (performance.now() - t0) / 1000);
    progress.set(`${ctx.label}: ${Math.round((st.acked - a0) / secs)} acked/s, ${Math.round((st.delivered - d0) / secs)} deliveries/s`);
    await Bun.sleep(Math.min(250, Math.max(1, end - performance.now())));
  }
  const secs = (performance.now() - t0) / 1000;
  const delivered = st.delivered - d0;
  const acked = st.acked - a0;
  const genCpu = cpu.read();
  const used = cpu.sample();
  const cost = costOf([used.cpuSec], used.wallSec, rec.audit.delivered - received0);
  const srv1 = cpuSeconds(target.pid);
  const metrics1 = metrics0 !== undefined ? await scrapeMetrics(target.url) : undefined;
  running = false;
  await drain(st, () => st.acked, plan.drainQuietMs, 60_000);
  closeAll(conns);
  return {
    secs, delivered, acked, genCpu, cost, rec,
    serverCpu: srv0 !== undefined && srv1 !== undefined ? Math.round(((srv1 - srv0) / secs) * 100) / 100 : undefined,
    serverUsPerMsg: srv0 !== undefined && srv1 !== undefined && acked > 0 ? Math.round(((srv1 - srv0) / acked) * 1e7) / 10 : undefined,
    storeUsPerMsg: storeShare(metrics0, metrics1, acked),
    lost: Math.max(0, st.expected - st.delivered),
  };
}

/** The server's CPU per message, and (Parley) the part of it its store held the event loop. */
function serverCost(r: LoopResult) {
  const store = r.storeUsPerMsg;
  return {
    serverUsPerMsg: metric(r.serverUsPerMsg, "µs", "lower"),
    storeUsPerMsg: metric(store && store.commit + store.index, "µs", "lower"),
  };
}

export async function throughput(ctx: Ctx): Promise<ScenarioResult> {
  const { plan, layout, target } = ctx;
  const senders = new Map<number, { s: number; room: string }>();
  for (let s = 0; s < plan.senders; s++) {
    const slot = senderSlot(s, layout, plan.connections);
    senders.set(slot.conn, { s, room: slot.room });
  }
  const r = await closedLoop(ctx, "t", plan.connections, senders, plan.throughputMs);
  const st = r.rec.step("t");
  const audit = await finishAudit(ctx, r.rec);
  const bound = boundNote(r.genCpu, "throughput");
  return {
    scenario: "throughput",
    target: target.kind,
    metrics: {
      peakDeliveriesPerSec: metric(r.delivered / r.secs, "deliveries/s", "higher"),
      peakMsgsPerSec: metric(r.acked / r.secs, "msgs/s", "higher"),
      p50Ms: metric(st.latency.percentile(50) / 1000, "ms", "lower"),
      p99Ms: metric(st.latency.percentile(99) / 1000, "ms", "lower"),
      ...serverCost(r),
    },
    details: {
      connections: plan.connections, roomSize: layout.roomSize, senders: senders.size, window: plan.window, seconds: Math.round(r.secs * 100) / 100,
      latencyUs: st.latency.summary(), ackLatencyUs: st.ackLatency.summary(), serverCpu: r.serverCpu, storeUsPerMsg: r.storeUsPerMsg, lost: r.lost, notes: bound.notes,
    },
    audit,
    generatorCpu: Math.round(r.genCpu * 100) / 100,
    generatorCost: generatorSummary(r.cost),
    invalid: [],
    generatorBound: bound.generatorBound,
  };
}

export async function commit(ctx: Ctx): Promise<ScenarioResult> {
  const { plan, layout, target } = ctx;
  const n = Math.min(plan.commitSenders, layout.solo.length);
  if (n === 0) return { scenario: "commit", target: target.kind, metrics: {}, generatorCpu: 0, invalid: [], error: "no single-member rooms were provisioned" };
  const senders = new Map<number, { s: number; room: string }>();
  for (let s = 0; s < n; s++) senders.set(s, { s, room: layout.solo[s] });
  const r = await closedLoop(ctx, "c", n, senders, plan.commitMs);
  const st = r.rec.step("c");
  // Every acked message is read back through the history API (durable targets), so "acked" means "stored".
  const audit = await finishAudit(ctx, r.rec);
  const bound = boundNote(r.genCpu, "commit");
  return {
    scenario: "commit",
    target: target.kind,
    metrics: {
      ackedMsgsPerSec: metric(r.acked / r.secs, "msgs/s", "higher"),
      ackP50Ms: metric(st.ackLatency.percentile(50) / 1000, "ms", "lower"),
      ackP99Ms: metric(st.ackLatency.percentile(99) / 1000, "ms", "lower"),
      echoP99Ms: metric(st.latency.percentile(99) / 1000, "ms", "lower"),
      ...serverCost(r),
    },
    details: {
      senders: n, roomSize: 1, window: plan.window, inFlight: n * plan.window, seconds: Math.round(r.secs * 100) / 100,
      acked: r.acked, echoes: r.delivered, ackLatencyUs: st.ackLatency.summary(), echoLatencyUs: st.latency.summary(), serverCpu: r.serverCpu, storeUsPerMsg: r.storeUsPerMsg, lost: r.lost,
      notes: bound.notes,
      durability: target.durable ? "acked after the group commit; every acked message read back from history" : "not durable (baseline: in-memory relay)",
    },
    audit,
    generatorCpu: Math.round(r.genCpu * 100) / 100,
    generatorCost: generatorSummary(r.cost),
    invalid: [],
    generatorBound: bound.generatorBound,
  };
}
