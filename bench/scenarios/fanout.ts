// Fanout: N connections in rooms of K, S open-loop senders, a ladder of offered rates; finds the highest rate holding the SLO with zero loss. With --nodes, latency by whether the receiver is on the sender's node.
import { loadavg } from "node:os";
import { type CpuSample, cpuShares } from "../lib/cluster";
import { mergeReports } from "../lib/audit";
import { Histogram } from "../lib/histogram";
import { addCosts, costOf, CpuMeter, type GeneratorCost, SATURATED, usPerDelivery } from "../lib/progress";
import { roomsInUse } from "../lib/provision";
import { senderSlot } from "../lib/recorder";
import { nowMs } from "../lib/schedule";
import { LocalShard, mergeStepReports, RemoteShard, type Shard, type ShardSpec, splitByRoom } from "../lib/shard";
import { deliveredCounters } from "../lib/delivered";
import { scrapeMetrics, storeShare, storeText } from "../lib/server-metrics";
import { cpuSeconds, machineCpu } from "../lib/target";
import { cpuInvalid, finishAudit, generatorSummary } from "./common";
import { type Ctx, type FanoutStep, metric, type ScenarioResult, sloKey } from "./types";

/** Send lag (p99) beyond which a step's latencies are polluted by the generator's own stalls. */
const LAG_LIMIT_MS = 10;
/** How far ahead of now a step's schedule starts. */
const START_AHEAD_MS = 50;

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

/** The shards of a run: one in this process (always with --nodes), or `workers` worker processes, each owning whole rooms. */
function makeShards(ctx: Ctx, makeLocal: (spec: ShardSpec) => LocalShard): Shard[] {
  const { plan, layout, target } = ctx;
  const rooms = roomsInUse(layout, plan.connections);
  const slots = Array.from({ length: plan.senders }, (_, s) => ({ s, ...senderSlot(s, layout, plan.connections) }));
  const n = target.cluster ? 1 : Math.max(1, Math.min(ctx.workers, rooms));
  const parts = splitByRoom(n, rooms, layout.roomSize, plan.connections, slots, layout.rooms);
  const spec = (p: (typeof parts)[number], i: number): ShardSpec => ({
    url: target.url, durable: target.durable, layout, conns: p.conns, connected: plan.connections, slots: p.slots, senders: plan.senders,
    bodyChars: plan.bodyChars, drainQuietMs: plan.drainQuietMs, label: parts.length > 1 ? `${ctx.label} [worker ${i + 1}/${parts.length}]` : ctx.label,
    delivered: ctx.delivered,
  });
  return parts.length === 1 ? [makeLocal(spec(parts[0], 0))] : parts.map((p, i) => new RemoteShard(spec(p, i)));
}

export async function fanout(ctx: Ctx): Promise<ScenarioResult> {
  let local: LocalShard | undefined;
  const shards = makeShards(ctx, (spec) => (local = new LocalShard(spec, ctx.progress, ctx.target.cluster, (rec) => finishAudit(ctx, rec))));
  try {
    return await runFanout(ctx, shards, local);
  } finally {
    for (const s of shards) s.kill();
  }
}

async function runFanout(ctx: Ctx, shards: Shard[], local: LocalShard | undefined): Promise<ScenarioResult> {
  const { plan, layout, target, progress, knee } = ctx;
  const cluster = target.cluster;
  progress.set(`${ctx.label}: connecting ${plan.connections} sockets${shards.length > 1 ? ` from ${shards.length} worker processes` : ""}`);
  await Promise.all(shards.map((s) => s.connect()));
  const slots = Array.from({ length: plan.senders }, (_, s) => senderSlot(s, layout, plan.connections));
  const node = local?.node;
  const placement = cluster && node ? placementOf(node, cluster.nodeNames.length, slots, (i) => layout.rooms[Math.floor(i / layout.roomSize)]) : undefined;
  if (placement) progress.log(`  ${ctx.label}: connections per node ${placement.perNode.join(" / ")}; ${placement.roomsSpanning} rooms span nodes; ${(placement.crossingShare * 100).toFixed(1)} % of deliveries cross nodes`);
  const rates = ladder(plan.rates, ctx.requiredRates);
  const steps: FanoutStep[] = [];
  const costs: GeneratorCost[] = [];
  const run = (tag: string, rate: number, durationMs: number, capMs: number) => {
    // Started a little ahead, so every worker has the command before its first send is due.
    const cmd = { tag, rate, durationMs, startMs: nowMs() + START_AHEAD_MS, capMs };
    return Promise.all(shards.map((s) => s.step(cmd))).then((parts) => ({ cmd, r: mergeStepReports(parts) }));
  };
  // One unmeasured second at the lowest rate: the first messages through a fresh process pay for JIT compilation and
  // lazy allocation, and would otherwise land in the first step's tail (tens of ms on the baseline).
  if (rates.length) {
    progress.set(`${ctx.label}: warm-up`);
    await run("w", rates[0], 1000, 30_000);
  }
  let pastKnee = false;
  for (let k = rates.length ? 0 : -1; k >= 0; ) {
    const rate = rates[k];
    const tag = `f${k}`;
    // Sampled before the schedule starts: reading PostgreSQL's backends takes a query, which must not delay the first sends.
    const cpu0: { at: number; s: CpuSample[] } | undefined = cluster ? { at: nowMs(), s: await cluster.cpu() } : undefined;
    // Parley's /metrics (one node: with --nodes the URL is HAProxy's, which would pick one node): its delivered-mark
    // writes from here to the end of the drain, and its store's time over the sending phase, as the server's CPU.
    const metrics0 = (target.kind === "parley" || target.kind === "external") && !cluster ? await scrapeMetrics(target.url) : undefined;
    const srv0 = cpuSeconds(target.pid);
    const m0 = { at: nowMs(), cpu: machineCpu() };
    const self = new CpuMeter(); // this process's own share when the shards are workers
    const ticker = setInterval(() => {
      const live = local?.live(tag);
      progress.set(`${ctx.label}: ${rate} msg/s${live ? ` → ${live.delivered} deliveries, p99 ${(live.p99Us / 1000).toFixed(1)} ms` : ` (${shards.length} workers)`}`);
    }, 250);
    const pending = run(tag, rate, plan.stepMs, 60_000);
    // Server CPU over the sending phase only (the drain is mostly idle): sampled when the schedule ends.
    await Bun.sleep(plan.stepMs + START_AHEAD_MS);
    const m1 = { at: nowMs(), cpu: machineCpu() };
    const srv1 = cpuSeconds(target.pid);
    const metricsSent = metrics0 !== undefined ? await scrapeMetrics(target.url) : undefined;
    const serverCpuBy = cluster && cpu0 ? cpuShares(cpu0.s, await cluster.cpu(), (nowMs() - cpu0.at) / 1000) : undefined;
    const { cmd, r } = await pending;
    clearInterval(ticker);
    const metrics1 = metrics0 !== undefined ? await scrapeMetrics(target.url) : undefined;
    const [writes0, writes1] = metrics0 !== undefined && metrics1 !== undefined ? [deliveredCounters(metrics0), deliveredCounters(metrics1)] : [];
    const deliveredWrites = writes0 && writes1 ? { flushes: writes1.flushes - writes0.flushes, marks: writes1.marks - writes0.marks } : undefined;
    const wallSec = (m1.at - m0.at) / 1000;
    const coordinator = shards.length > 1 ? [self.sample().cpuSec] : [];
    const cost = costOf([...r.cpuTotal, ...coordinator], r.totalSec, r.received);
    costs.push(cost);
    const sendShares = r.cpuSend.map((c) => (r.sendSec > 0 ? Math.round((c / r.sendSec) * 100) / 100 : 0));
    const genCpu = Math.max(0, ...sendShares);
    const latency = Histogram.fromSparse(r.latency);
    const lost = Math.max(0, r.expected - r.delivered) + (r.sent - r.notSent - r.acked);
    const p = latency.percentile(knee.percentile) / 1000;
    const span = Math.max(plan.stepMs, r.lastAt - cmd.startMs) / 1000;
    const sloUs: Record<string, number> = {};
    for (const s of [knee, ...ctx.slos]) sloUs[sloKey(s.percentile)] = latency.percentile(s.percentile);
    const why = [
      p > knee.thresholdMs ? `p${knee.percentile} ${p.toFixed(1)} ms > ${knee.thresholdMs} ms` : "",
      lost > 0 || r.notSent > 0 ? `${lost} lost, ${r.notSent} not sent` : "",
      genCpu >= SATURATED ? "generator saturated" : "",
    ].filter(Boolean).join("; ");
    const serverCpu = serverCpuBy
      ? Math.round(Object.values(serverCpuBy).reduce((a, b) => a + b, 0) * 100) / 100
      : srv0 !== undefined && srv1 !== undefined && wallSec > 0 ? Math.round(((srv1 - srv0) / wallSec) * 100) / 100 : undefined;
    const serverSec = serverCpuBy ? (serverCpu ?? 0) * wallSec : srv0 !== undefined && srv1 !== undefined ? srv1 - srv0 : undefined;
    const lag = Histogram.fromSparse(r.lag);
    steps.push({
      ratePerSec: rate,
      offeredDeliveriesPerSec: rate * layout.roomSize,
      achievedDeliveriesPerSec: Math.round(r.delivered / span),
      sent: r.sent, notSent: r.notSent, acked: r.acked, expected: r.expected, delivered: r.delivered, lost,
      latencyUs: latency.summary(),
      ackLatencyUs: Histogram.fromSparse(r.ackLatency).summary(),
      sloUs,
      sendLagP99Ms: Math.round(lag.percentile(99) / 10) / 100,
      generatorCpu: genCpu,
      generatorCpuBy: sendShares.length > 1 ? sendShares : undefined,
      generatorUsPerDelivery: usPerDelivery(cost),
      serverCpu,
      serverUsPerMsg: serverSec !== undefined && r.acked > 0 ? Math.round((serverSec / r.acked) * 1e7) / 10 : undefined,
      storeUsPerMsg: storeShare(metrics0, metricsSent, r.acked),
      serverCpuBy,
      deliveredWrites,
      loadavg: Math.round(loadavg()[0] * 100) / 100,
      ...otherWork(m0, m1, r.cpuSend.reduce((a, b) => a + b, 0) / Math.max(1e-9, r.sendSec), serverCpu),
      crossing: r.crossing ? { local: Histogram.fromSparse(r.crossing.local).summary(), remote: Histogram.fromSparse(r.crossing.remote).summary() } : undefined,
      pass: why === "",
      why: why || undefined,
    });
    const st = steps.at(-1)!;
    progress.log(`  ${ctx.label}: ${rate} msg/s (${rate * layout.roomSize} deliveries/s offered): p50 ${(st.latencyUs.p50 / 1000).toFixed(2)} ms, p99 ${(st.latencyUs.p99 / 1000).toFixed(2)} ms, lost ${lost}, gen CPU ${(genCpu * 100).toFixed(0)}%${sendShares.length > 1 ? ` (${sendShares.map((x) => `${Math.round(x * 100)}%`).join(" / ")})` : ""}, ${st.generatorUsPerDelivery ?? "–"} µs/delivery${st.serverUsPerMsg !== undefined ? `, server ${st.serverUsPerMsg} µs/msg` : ""}${st.storeUsPerMsg ? ` (store ${storeText(st.storeUsPerMsg)})` : ""}${deliveredWrites ? `, delivered-mark writes ${deliveredWrites.flushes} (${deliveredWrites.marks} marks)` : ""}, load ${st.loadavg}${why ? ` ✗ ${why}` : " ✓"}`);
    const split = st.crossing;
    if (split && split.remote.count) progress.log(`    same node p50/p99 ${(split.local.p50 / 1000).toFixed(2)}/${(split.local.p99 / 1000).toFixed(2)} ms · other node ${(split.remote.p50 / 1000).toFixed(2)}/${(split.remote.p99 / 1000).toFixed(2)} ms · server CPU ${Object.entries(serverCpuBy ?? {}).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(", ")} · other work ${Math.round((st.otherCpu ?? 0) * 100)}%`);
    // Past the knee higher rates only add queueing: skip to the required ones, if any.
    pastKnee ||= Boolean(why);
    const next = nextStep(rates, k, pastKnee, ctx.requiredRates);
    if (pastKnee && next >= 0) progress.log(`  ${ctx.label}: past the knee; measuring the required ${rates[next]} msg/s next`);
    k = next;
  }
  const finished = await Promise.all(shards.map((s) => s.finish()));
  const audit = mergeReports(finished.map((f) => f.audit));
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
  const total = addCosts(costs);
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
    details: { ...(cluster ? { topology: cluster.topology, nodes: cluster.nodeNames, placement } : {}), connections: plan.connections, roomSize: layout.roomSize, rooms: roomsInUse(layout, plan.connections), senders: plan.senders, stepMs: plan.stepMs, workers: shards.length, delivered: ctx.delivered, knee: knee.text, notes, drops: finished.reduce((n, f) => n + f.drops, 0) },
    audit,
    generatorCpu: Math.max(0, ...steps.map((s) => s.generatorCpu)),
    generatorCost: generatorSummary(total),
    invalid,
  };
}
