// Fanout: N connections in rooms of K, S open-loop senders, a ladder of offered rates; finds the highest rate holding the SLO with zero loss.
import { loadavg } from "node:os";
import type { Conn } from "../lib/client";
import { Histogram } from "../lib/histogram";
import { CpuMeter, SATURATED } from "../lib/progress";
import { roomsInUse } from "../lib/provision";
import { closeAll, connectAll, Recorder, senderSlot } from "../lib/recorder";
import { clientMsgId, buildSchedule, dispatch, nowMs, stampBody } from "../lib/schedule";
import { cpuSeconds } from "../lib/target";
import { cpuInvalid, drain, finishAudit } from "./common";
import { type Ctx, type FanoutStep, metric, type ScenarioResult, sloKey } from "./types";

/** Send lag (p99) beyond which a step's latencies are polluted by the generator's own stalls. */
const LAG_LIMIT_MS = 10;

const round = (r: number) => Math.round(r * 100) / 100;

/** Ladder of offered msgs/s: the plan's rates plus every required rate (SLO and target loads), ascending. */
export function ladder(rates: number[], required: number[]): number[] {
  return [...new Set([...rates, ...required].map(round))].filter((r) => r > 0).sort((a, b) => a - b);
}

/**
 * Index of the step to run after step k. Below the knee every rate is run; once any step has failed
 * (past the knee) only the required rates above k are still measured, so an SLO or target load is
 * always reported instead of "never reached". -1: stop.
 */
export function nextStep(rates: number[], k: number, pastKnee: boolean, required: number[]): number {
  if (!pastKnee) return k + 1 < rates.length ? k + 1 : -1;
  const want = new Set(required.map(round));
  for (let j = k + 1; j < rates.length; j++) if (want.has(rates[j])) return j;
  return -1;
}

/**
 * One unmeasured second at the lowest rate: the first messages through a fresh
 * process pay for JIT compilation and lazy allocation, and would otherwise land
 * in the first step's tail (tens of ms on the baseline).
 */
async function warmUp(ctx: Ctx, rec: Recorder, conns: Conn[], slots: { conn: number; room: string }[], rate: number): Promise<void> {
  const st = rec.step("w");
  const schedule = buildSchedule({ ratePerSec: rate, senders: slots.length, durationMs: 1000, startMs: nowMs() });
  ctx.progress.set(`${ctx.label}: warm-up`);
  await dispatch(schedule, (i, t) => {
    const s = schedule.sender[i];
    const id = clientMsgId("w", s, schedule.nth[i]);
    rec.sent(id);
    if (!conns[slots[s].conn].send(slots[s].room, id, stampBody(t, id, ctx.plan.bodyChars))) rec.audit.abandon(id);
  });
  await drain(st, () => st.acked, ctx.plan.drainQuietMs, 30_000);
}

export async function fanout(ctx: Ctx): Promise<ScenarioResult> {
  const { plan, layout, target, progress, knee } = ctx;
  const rec = new Recorder(layout, plan.connections);
  const conns = await connectAll(target.url, layout, plan.connections, rec, { autoReconnect: true }, progress, ctx.label);
  const slots = Array.from({ length: plan.senders }, (_, s) => senderSlot(s, layout, plan.connections));
  const rates = ladder(plan.rates, ctx.requiredRates);
  const steps: FanoutStep[] = [];
  const cpu = new CpuMeter();
  await warmUp(ctx, rec, conns, slots, rates[0]);
  let pastKnee = false;
  for (let k = rates.length ? 0 : -1; k >= 0; ) {
    const rate = rates[k];
    const tag = `f${k}`;
    const st = rec.step(tag);
    const lag = new Histogram();
    let notSent = 0;
    const schedule = buildSchedule({ ratePerSec: rate, senders: plan.senders, durationMs: plan.stepMs, startMs: nowMs() + 20 });
    const startMs = schedule.times[0] ?? nowMs();
    const srv0 = cpuSeconds(target.pid);
    cpu.restart();
    const ticker = setInterval(() => progress.set(`${ctx.label}: ${rate} msg/s → ${st.delivered} deliveries, p99 ${(st.latency.percentile(99) / 1000).toFixed(1)} ms`), 250);
    await dispatch(schedule, (i, t) => {
      const s = schedule.sender[i];
      const id = clientMsgId(tag, s, schedule.nth[i]);
      const slot = slots[s];
      rec.sent(id);
      // A sender whose socket is down (e.g. closed as a slow consumer) cannot send on time: that is loss at this rate.
      if (!conns[slot.conn].send(slot.room, id, stampBody(t, id, plan.bodyChars))) {
        rec.audit.abandon(id);
        notSent++;
      }
    }, (l) => lag.recordMs(l));
    const genCpu = cpu.read();
    const wallSec = (nowMs() - startMs) / 1000;
    const srv1 = cpuSeconds(target.pid);
    await drain(st, () => st.acked + notSent, plan.drainQuietMs, 60_000);
    clearInterval(ticker);
    const lost = Math.max(0, st.expected - st.delivered) + (st.sent - notSent - st.acked);
    const p = st.latency.percentile(knee.percentile) / 1000;
    const span = Math.max(plan.stepMs, st.lastAt - startMs) / 1000;
    const sloUs: Record<string, number> = {};
    for (const s of [knee, ...ctx.slos]) sloUs[sloKey(s.percentile)] = st.latency.percentile(s.percentile);
    const why = [
      p > knee.thresholdMs ? `p${knee.percentile} ${p.toFixed(1)} ms > ${knee.thresholdMs} ms` : "",
      lost > 0 || notSent > 0 ? `${lost} lost, ${notSent} not sent` : "",
      genCpu >= SATURATED ? "generator saturated" : "",
    ].filter(Boolean).join("; ");
    steps.push({
      ratePerSec: rate,
      offeredDeliveriesPerSec: rate * layout.roomSize,
      achievedDeliveriesPerSec: Math.round(st.delivered / span),
      sent: st.sent, notSent, acked: st.acked, expected: st.expected, delivered: st.delivered, lost,
      latencyUs: st.latency.summary(),
      ackLatencyUs: st.ackLatency.summary(),
      sloUs,
      sendLagP99Ms: Math.round(lag.percentile(99) / 10) / 100,
      generatorCpu: Math.round(genCpu * 100) / 100,
      serverCpu: srv0 !== undefined && srv1 !== undefined ? Math.round(((srv1 - srv0) / wallSec) * 100) / 100 : undefined,
      pass: why === "",
      why: why || undefined,
    });
    progress.log(`  ${ctx.label}: ${rate} msg/s (${rate * layout.roomSize} deliveries/s offered): p50 ${(st.latency.percentile(50) / 1000).toFixed(2)} ms, p99 ${(st.latency.percentile(99) / 1000).toFixed(2)} ms, lost ${lost}, gen CPU ${(genCpu * 100).toFixed(0)}%${why ? ` ✗ ${why}` : " ✓"}`);
    // Past the knee higher rates only add queueing: skip to the required ones, if any.
    pastKnee ||= Boolean(why);
    const next = nextStep(rates, k, pastKnee, ctx.requiredRates);
    if (pastKnee && next >= 0) progress.log(`  ${ctx.label}: past the knee; measuring the required ${rates[next]} msg/s next`);
    k = next;
  }
  closeAll(conns);
  const audit = await finishAudit(ctx, rec);
  // The knee: the last step of the unbroken passing run from the bottom of the ladder.
  const firstMiss = steps.findIndex((s) => !s.pass);
  const kneeStep = (firstMiss < 0 ? steps : steps.slice(0, firstMiss)).at(-1);
  const last = firstMiss < 0 ? steps.at(-1) : steps[firstMiss];
  // Stopped by our own CPU rather than the server's latency: the knee is unknown, so the figure must not be trusted.
  const invalid = steps.filter((s) => !s.pass && s.generatorCpu >= SATURATED).flatMap((s) => cpuInvalid(s.generatorCpu, `fanout at ${s.ratePerSec} msg/s`));
  // Late sends with CPU to spare mean the generator was stalled from outside (other load on the machine, GC): its tail is not the server's.
  for (const s of steps) if (s.sendLagP99Ms > LAG_LIMIT_MS && s.generatorCpu < SATURATED) invalid.push(`generator sent ${s.sendLagP99Ms} ms late (p99) at ${s.ratePerSec} msg/s with ${Math.round(s.generatorCpu * 100)}% CPU: the generator was stalled — by other load on the machine (load ${loadavg()[0].toFixed(1)}) or by bursts of its own receive work — so its lateness is in this step's latencies`);
  const notes = last?.pass ? [`never missed the SLO up to ${last.ratePerSec} msg/s: the knee is above the ladder (raise --rates)`] : [];
  const skipped = rates.filter((r) => !steps.some((s) => s.ratePerSec === r));
  if (skipped.length) notes.push(`not run (past the knee): ${skipped.join(", ")} msg/s`);
  return {
    scenario: "fanout",
    target: target.kind,
    metrics: {
      kneeDeliveriesPerSec: metric(kneeStep ? kneeStep.offeredDeliveriesPerSec : 0, "deliveries/s", "higher"),
      kneeMsgsPerSec: metric(kneeStep ? kneeStep.ratePerSec : 0, "msgs/s", "higher"),
      p50AtKneeMs: metric(kneeStep ? kneeStep.latencyUs.p50 / 1000 : null, "ms", "lower"),
      p99AtKneeMs: metric(kneeStep ? kneeStep.latencyUs.p99 / 1000 : null, "ms", "lower"),
      maxAchievedDeliveriesPerSec: metric(Math.max(0, ...steps.map((s) => s.achievedDeliveriesPerSec)), "deliveries/s", "higher"),
    },
    steps,
    details: { connections: plan.connections, roomSize: layout.roomSize, rooms: roomsInUse(layout, plan.connections), senders: plan.senders, stepMs: plan.stepMs, knee: knee.text, notes, drops: conns.reduce((n, c) => n + c.drops, 0) },
    audit,
    generatorCpu: Math.max(0, ...steps.map((s) => s.generatorCpu)),
    invalid,
  };
}
