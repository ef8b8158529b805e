// Fanout: N connections in rooms of K, S open-loop senders, a ladder of offered rates; finds the highest rate holding the SLO with zero loss. With --nodes, latency by whether the receiver is on the sender's node.
import { loadavg } from "node:os";
import { type CpuSample, cpuShares } from "../lib/cluster";
import type { Conn } from "../lib/client";
import { Histogram } from "../lib/histogram";
import { CpuMeter, SATURATED } from "../lib/progress";
import { roomsInUse } from "../lib/provision";
import { closeAll, connectAll, Recorder, senderSlot } from "../lib/recorder";
import { clientMsgId, buildSchedule, dispatch, nowMs, stampBody } from "../lib/schedule";
import { cpuSeconds, machineCpu } from "../lib/target";
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

/** Deliveries split by where the receiver sits: on the sender's node, or on another one (the bus and a second node in the path). */
interface Crossing {
  local: Histogram;
  remote: Histogram;
}

/**
 * Where the connections landed and what share of the deliveries cross nodes. Throws when more than one
 * node runs yet no room has members on two of them: then nothing crosses and nothing would be measured.
 */
export function placementOf(node: number[], nodes: number, slots: { conn: number; room: string }[], roomOfConn: (i: number) => string): { perNode: number[]; roomsSpanning: number; crossingShare: number } {
  const perNode = Array.from({ length: nodes }, (_, n) => node.filter((x) => x === n).length);
  const byRoom = new Map<string, number[]>();
  node.forEach((n, i) => byRoom.set(roomOfConn(i), [...(byRoom.get(roomOfConn(i)) ?? []), n]));
  const roomsSpanning = [...byRoom.values()].filter((ns) => new Set(ns).size > 1).length;
  // Each sender's message goes to every member of its room: the share of those on another node.
  let remote = 0;
  let all = 0;
  for (const slot of slots) {
    const members = byRoom.get(slot.room) ?? [];
    all += members.length;
    remote += members.filter((n) => n !== node[slot.conn]).length;
  }
  const crossingShare = all ? Math.round((remote / all) * 1000) / 1000 : 0;
  if (nodes > 1 && remote === 0) throw new Error(`no sender has a receiver on another node (connections per node: ${perNode.join("/")}): crossing would not be measured`);
  return { perNode, roomsSpanning, crossingShare };
}

type MachineMark = { at: number; cpu: ReturnType<typeof machineCpu> };

/**
 * CPU the rest of the machine used during a step (busy time beyond the generator's and the server's),
 * and the share the hypervisor stole: both land in the tails, so every step reports them.
 */
function otherWork(m0: MachineMark, m1: MachineMark, generator: number, server: number | undefined): { otherCpu?: number; stealCpu?: number } {
  if (!m0.cpu || !m1.cpu || server === undefined) return {};
  const sec = (m1.at - m0.at) / 1000;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { otherCpu: r(Math.max(0, (m1.cpu.busy - m0.cpu.busy) / sec - generator - server)), stealCpu: r((m1.cpu.steal - m0.cpu.steal) / sec) };
}

export async function fanout(ctx: Ctx): Promise<ScenarioResult> {
  const { plan, layout, target, progress, knee } = ctx;
  const rec = new Recorder(layout, plan.connections);
  const cluster = target.cluster;
  const placed = cluster
    ? await cluster.connectAll(layout, plan.connections, rec, { autoReconnect: true }, progress, ctx.label)
    : { conns: await connectAll(target.url, layout, plan.connections, rec, { autoReconnect: true }, progress, ctx.label), node: undefined };
  const conns = placed.conns;
  const slots = Array.from({ length: plan.senders }, (_, s) => senderSlot(s, layout, plan.connections));
  const node = placed.node;
  const placement = cluster && node ? placementOf(node, cluster.nodeNames.length, slots, (i) => layout.rooms[Math.floor(i / layout.roomSize)]) : undefined;
  if (placement) progress.log(`  ${ctx.label}: connections per node ${placement.perNode.join(" / ")}; ${placement.roomsSpanning} rooms span nodes; ${(placement.crossingShare * 100).toFixed(1)} % of deliveries cross nodes`);
  const crossing = new Map<string, Crossing>();
  if (node) {
    rec.onLatency = (conn, id, us) => {
      // clientMsgId = step.sender.n.run (schedule.ts); a socket that reconnected through HAProxy may sit elsewhere now.
      const [tag, sender] = id.split(".", 2);
      const from = slots[Number(sender)]?.conn;
      if (from === undefined || conn.drops > 0 || conns[from].drops > 0) return;
      let c = crossing.get(tag);
      if (!c) crossing.set(tag, (c = { local: new Histogram(), remote: new Histogram() }));
      (node[conn.idx] === node[from] ? c.local : c.remote).record(us);
    };
  }
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
    // Sampled before the schedule is built: reading PostgreSQL's backends takes a query, which must not delay the first sends.
    const cpu0: { at: number; s: CpuSample[] } | undefined = cluster ? { at: nowMs(), s: await cluster.cpu() } : undefined;
    const schedule = buildSchedule({ ratePerSec: rate, senders: plan.senders, durationMs: plan.stepMs, startMs: nowMs() + 20 });
    const startMs = schedule.times[0] ?? nowMs();
    const srv0 = cpuSeconds(target.pid);
    const m0 = { at: nowMs(), cpu: machineCpu() };
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
    const m1 = { at: nowMs(), cpu: machineCpu() };
    const wallSec = (nowMs() - startMs) / 1000;
    const srv1 = cpuSeconds(target.pid);
    const serverCpuBy = cluster && cpu0 ? cpuShares(cpu0.s, await cluster.cpu(), (nowMs() - cpu0.at) / 1000) : undefined;
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
    const serverCpu = serverCpuBy
      ? Math.round(Object.values(serverCpuBy).reduce((a, b) => a + b, 0) * 100) / 100
      : srv0 !== undefined && srv1 !== undefined ? Math.round(((srv1 - srv0) / wallSec) * 100) / 100 : undefined;
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
      serverCpu,
      serverCpuBy,
      loadavg: Math.round(loadavg()[0] * 100) / 100,
      ...otherWork(m0, m1, genCpu, serverCpu),
      crossing: crossing.has(tag) ? { local: crossing.get(tag)!.local.summary(), remote: crossing.get(tag)!.remote.summary() } : undefined,
      pass: why === "",
      why: why || undefined,
    });
    progress.log(`  ${ctx.label}: ${rate} msg/s (${rate * layout.roomSize} deliveries/s offered): p50 ${(st.latency.percentile(50) / 1000).toFixed(2)} ms, p99 ${(st.latency.percentile(99) / 1000).toFixed(2)} ms, lost ${lost}, gen CPU ${(genCpu * 100).toFixed(0)}%${why ? ` ✗ ${why}` : " ✓"}`);
    const split = steps.at(-1)!.crossing;
    if (split && split.remote.count) progress.log(`    same node p50/p99 ${(split.local.p50 / 1000).toFixed(2)}/${(split.local.p99 / 1000).toFixed(2)} ms · other node ${(split.remote.p50 / 1000).toFixed(2)}/${(split.remote.p99 / 1000).toFixed(2)} ms · server CPU ${Object.entries(serverCpuBy ?? {}).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(", ")} · other work ${Math.round((steps.at(-1)!.otherCpu ?? 0) * 100)}%`);
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
    details: { ...(cluster ? { topology: cluster.topology, nodes: cluster.nodeNames, placement } : {}), connections: plan.connections, roomSize: layout.roomSize, rooms: roomsInUse(layout, plan.connections), senders: plan.senders, stepMs: plan.stepMs, knee: knee.text, notes, drops: conns.reduce((n, c) => n + c.drops, 0) },
    audit,
    generatorCpu: Math.max(0, ...steps.map((s) => s.generatorCpu)),
    invalid,
  };
}
