// The performance targets P1–P6 (P1–P4 from the first performance issue, P5–P6 from issue 14), evaluated from one run: PASS, FAIL, or NOT MEASURED (with the reason and any indicative figure).
import type { FanoutStep, ScenarioResult } from "../scenarios/types";

export type TargetVerdict = "PASS" | "FAIL" | "NOT MEASURED";

export interface TargetResult {
  id: "P1" | "P2" | "P3" | "P4" | "P5" | "P6";
  goal: string;
  verdict: TargetVerdict;
  detail: string;
}

/** The thresholds and sizes, verbatim from the issue. */
export const GOALS = {
  p1: { minRatio: 0.5 },
  p2: { connections: 1000, roomSize: 20, deliveriesPerSec: 100_000, p99Ms: 30, p999Ms: 60, maxRatioToBaseline: 2 },
  p3: { connections: 10_000, maxKbPerConn: 8, cycles: 3, maxDrift: 0.05 },
  p4: { senders: 100, minMsgsPerSec: 50_000 },
  p5: { connections: 32, minReqPerSec: 5000 },
  p6: { connections: 10_000, maxColdMB: 150, stormClients: 10_000, maxResume99Ms: 10_000 },
} as const;

export const GOAL_TEXT: Record<TargetResult["id"], string> = {
  P1: "throughput: delivered msgs/s with persistence ≥ 0.5 × raw Bun baseline",
  P2: "fanout, 1,000 conns, rooms of 20, 100,000 deliveries/s offered: p99 ≤ 30 ms, p99.9 ≤ 60 ms, zero loss, p99 ≤ 2 × baseline p99",
  P3: "idle, 10,000 conns: ≤ 8 KiB server RSS per connection; RSS within 5 % after 3 cycles",
  P4: "commit, 100 concurrent senders: ≥ 50,000 msgs/s durably committed and acked",
  P5: "history, newest 50 of a room, 32 connections: ≥ 5,000 req/s",
  P6: "cold start: 10,000 hellos right after a restart settle at ≤ 150 MB (143 MiB) RSS; a storm of 10,000 clients after SIGKILL: 99 % resumed ≤ 10 s",
};

const fmt = (v: number, d = 2) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en-US") : Number.isInteger(v) ? String(v) : v.toFixed(d));
const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
const val = (r: ScenarioResult | undefined, k: string) => r?.metrics[k]?.value ?? null;

export interface TargetInput {
  quick: boolean;
  results: ScenarioResult[];
}

function find(results: ScenarioResult[], scenario: string, baseline = false): ScenarioResult | undefined {
  return results.find((r) => r.scenario === scenario && (r.target === "baseline") === baseline);
}

/** Appended when the scenario behind a verdict was flagged invalid (machine noise): the verdict stands but may not be the server's. */
function caveat(...rs: (ScenarioResult | undefined)[]): string {
  const inv = rs.flatMap((r) => (r?.invalid.length ? [`${r.target}: ${r.invalid[0]}`] : []));
  return inv.length ? ` (caution, run flagged invalid — ${inv.join("; ")})` : "";
}

function notMeasured(id: TargetResult["id"], why: string, indicative?: string): TargetResult {
  return { id, goal: GOAL_TEXT[id], verdict: "NOT MEASURED", detail: `${why}${indicative ? `; indicative: ${indicative}` : ""}` };
}

function decide(id: TargetResult["id"], quick: boolean, pass: boolean, detail: string): TargetResult {
  if (quick) return notMeasured(id, "quick run (sizes and durations below the target's)", detail);
  return { id, goal: GOAL_TEXT[id], verdict: pass ? "PASS" : "FAIL", detail };
}

export function p1(input: TargetInput): TargetResult {
  const main = find(input.results, "throughput");
  const base = find(input.results, "throughput", true);
  if (!main) return notMeasured("P1", "throughput did not run");
  if (main.error) return decide("P1", input.quick, false, `throughput failed: ${main.error.split("\n")[0]}`);
  if (!base || base.error) return notMeasured("P1", "no baseline throughput in this run (--no-baseline or --url)");
  const a = val(main, "peakDeliveriesPerSec"), b = val(base, "peakDeliveriesPerSec");
  if (a === null || b === null || b === 0) return notMeasured("P1", "throughput produced no rate");
  const ratio = a / b;
  const audit = main.audit && !main.audit.ok ? "; correctness audit FAILED" : "";
  const raw = `${fmt(a)} vs ${fmt(b)} deliveries/s = ×${ratio.toFixed(3)}`;
  if (!base.generatorBound) return decide("P1", input.quick, ratio >= GOALS.p1.minRatio && !audit, `${raw} (need ≥ ×${GOALS.p1.minRatio})${audit}${caveat(main, base)}`);
  // The baseline out-ran the one-core generator, so its figure is the generator's ceiling and the raw ratio
  // overstates Parley. Each server's deliveries per second of its own CPU is then the comparable figure.
  const ca = Number(main.details?.serverCpu), cb = Number(base.details?.serverCpu);
  if (!(ca > 0 && cb > 0)) return notMeasured("P1", "the baseline was generator-bound and server CPU is unknown", `${raw} (an upper bound)`);
  const perCore = a / ca / (b / cb);
  return decide("P1", input.quick, perCore >= GOALS.p1.minRatio && !audit,
    `baseline generator-bound, so judged per core of server CPU: Parley ${fmt(a / ca)} (${fmt(a)}/s at ${Math.round(ca * 100)} % CPU) vs baseline ${fmt(b / cb)} (${fmt(b)}/s at ${Math.round(cb * 100)} %) = ×${perCore.toFixed(3)} (need ≥ ×${GOALS.p1.minRatio}); raw ${raw}, an upper bound${audit}${caveat(main, base)}`);
}

function stepAt(r: ScenarioResult | undefined, deliveries: number): FanoutStep | undefined {
  return r?.steps?.find((s) => Math.abs(s.offeredDeliveriesPerSec - deliveries) <= deliveries * 0.01);
}

export function p2(input: TargetInput): TargetResult {
  const g = GOALS.p2;
  const main = find(input.results, "fanout");
  const base = find(input.results, "fanout", true);
  if (!main) return notMeasured("P2", "fanout did not run");
  if (main.error) return decide("P2", input.quick, false, `fanout failed: ${main.error.split("\n")[0]}`);
  const conns = Number(main.details?.connections), room = Number(main.details?.roomSize);
  const step = stepAt(main, g.deliveriesPerSec);
  const bstep = stepAt(base, g.deliveriesPerSec);
  const size = conns === g.connections && room === g.roomSize;
  if (!step) {
    const why = `the ladder had no step at ${fmt(g.deliveriesPerSec)} deliveries/s`;
    if (!size || input.quick) return notMeasured("P2", `${input.quick ? "quick run" : `${conns} connections in rooms of ${room}`}: ${why}`);
    return { id: "P2", goal: GOAL_TEXT.P2, verdict: "FAIL", detail: why };
  }
  const l = step.latencyUs;
  const lossOk = step.lost === 0 && step.notSent === 0;
  const parts = [
    `Parley p99 ${ms(l.p99)} (≤ ${g.p99Ms}) ${l.p99 <= g.p99Ms * 1000 ? "✓" : "✗"}`,
    `p99.9 ${ms(l.p999)} (≤ ${g.p999Ms}) ${l.p999 <= g.p999Ms * 1000 ? "✓" : "✗"}`,
    `lost ${step.lost}, not sent ${step.notSent} ${lossOk ? "✓" : "✗"}`,
  ];
  let ratioOk: boolean | undefined;
  if (bstep) {
    ratioOk = l.p99 <= g.maxRatioToBaseline * bstep.latencyUs.p99;
    parts.push(`baseline p99 ${ms(bstep.latencyUs.p99)}, p99.9 ${ms(bstep.latencyUs.p999)}: ratio ×${(l.p99 / Math.max(1, bstep.latencyUs.p99)).toFixed(2)} (≤ ×${g.maxRatioToBaseline}) ${ratioOk ? "✓" : "✗"}`);
  } else parts.push("no baseline step at this load: ratio not measured");
  const absOk = l.p99 <= g.p99Ms * 1000 && l.p999 <= g.p999Ms * 1000 && lossOk;
  const detail = `${parts.join("; ")}${caveat(main, base)}`;
  if (!size) return notMeasured("P2", `${conns} connections in rooms of ${room} (target: ${g.connections} in rooms of ${g.roomSize})`, detail);
  if (absOk && ratioOk === undefined) return input.quick ? notMeasured("P2", "quick run", detail) : notMeasured("P2", "baseline missing", detail);
  return decide("P2", input.quick, absOk && ratioOk === true, detail);
}

export function p3(input: TargetInput): TargetResult {
  const g = GOALS.p3;
  const main = find(input.results, "idle");
  if (!main) return notMeasured("P3", "idle did not run");
  if (main.error) return decide("P3", input.quick, false, `idle failed: ${main.error.split("\n")[0]}`);
  const per = val(main, "rssPerConnectionKb"), drift = val(main, "rssDriftAfterCyclesPct");
  if (per === null || drift === null) return notMeasured("P3", "server RSS unknown (needs the server pid)");
  const n = Number(main.details?.connections), cycles = Number(main.details?.cycles);
  const detail = `${fmt(per)} KiB/conn (≤ ${g.maxKbPerConn}) ${per <= g.maxKbPerConn ? "✓" : "✗"}; drift after ${cycles} cycles ${drift.toFixed(2)} % (≤ ${g.maxDrift * 100} %) ${drift <= g.maxDrift * 100 ? "✓" : "✗"} at ${fmt(n)} connections${caveat(main)}`;
  if (n < g.connections || cycles < g.cycles) return notMeasured("P3", `${fmt(n)} connections, ${cycles} cycles (target: ${fmt(g.connections)}, ${g.cycles})`, detail);
  return decide("P3", input.quick, per <= g.maxKbPerConn && drift <= g.maxDrift * 100, detail);
}

export function p4(input: TargetInput): TargetResult {
  const g = GOALS.p4;
  const main = find(input.results, "commit");
  if (!main) return notMeasured("P4", "commit did not run");
  if (main.error) return decide("P4", input.quick, false, `commit failed: ${main.error.split("\n")[0]}`);
  const rate = val(main, "ackedMsgsPerSec");
  if (rate === null) return notMeasured("P4", "commit produced no rate");
  const senders = Number(main.details?.senders);
  const stored = main.audit?.ok ? `every acked message read back from storage (${main.audit.roomsChecked} rooms)` : main.audit ? "correctness audit FAILED" : "storage not audited";
  const audited = main.audit?.ok === true && (main.audit.roomsChecked ?? 0) > 0;
  const detail = `${fmt(rate)} msgs/s acked (≥ ${fmt(g.minMsgsPerSec)}) ${rate >= g.minMsgsPerSec ? "✓" : "✗"}, ack p99 ${fmt(val(main, "ackP99Ms") ?? NaN)} ms, ${senders} senders × window ${main.details?.window}; ${stored}${caveat(main)}`;
  if (senders < g.senders) return notMeasured("P4", `${senders} senders (target: ${g.senders})`, detail);
  if (main.generatorBound && rate < g.minMsgsPerSec) return notMeasured("P4", "the generator's core ran out before the server's (the rate is a lower bound)", detail);
  return decide("P4", input.quick, rate >= g.minMsgsPerSec && audited, detail);
}

export function p5(input: TargetInput): TargetResult {
  const g = GOALS.p5;
  const main = find(input.results, "history");
  if (!main) return notMeasured("P5", "history did not run");
  if (main.error) return decide("P5", input.quick, false, `history failed: ${main.error.split("\n")[0]}`);
  const rate = val(main, "reqPerSec");
  if (rate === null) return notMeasured("P5", "history produced no rate");
  const n = Number(main.details?.connections);
  const detail = `${fmt(rate)} req/s (≥ ${fmt(g.minReqPerSec)}) ${rate >= g.minReqPerSec ? "✓" : "✗"}, p99 ${fmt(val(main, "p99Ms") ?? NaN)} ms, ${n} connections${caveat(main)}`;
  if (n < g.connections) return notMeasured("P5", `${n} connections (target: ${g.connections})`, detail);
  return decide("P5", input.quick, rate >= g.minReqPerSec, detail);
}

/** The issue states P6's memory in MB (10^6 bytes); the idle scenario reports MiB. */
const coldMB = (mib: number) => (mib * 2 ** 20) / 1e6;

export function p6(input: TargetInput): TargetResult {
  const g = GOALS.p6;
  const idle = find(input.results, "idle");
  const storm = find(input.results, "reconnect-storm");
  if (!idle && !storm) return notMeasured("P6", "neither idle nor reconnect-storm ran");
  const cold = val(idle, "rssColdConnectedMb");
  const at99 = val(storm, "resume99FromKillMs");
  const n = Number(idle?.details?.connections), clients = Number(storm?.details?.clients);
  const parts = [
    cold === null ? "cold RSS not measured (idle did not run, or its server was not spawned by the bench)" : `cold RSS ${fmt(cold)} MiB = ${fmt(coldMB(cold))} MB at ${fmt(n)} connections (≤ ${g.maxColdMB} MB) ${coldMB(cold) <= g.maxColdMB ? "✓" : "✗"}`,
    at99 === null ? `storm: ${storm?.error ?? "not measured"}` : `storm: 99 % of ${fmt(clients)} resumed ${fmt(at99)} ms after SIGKILL (≤ ${fmt(g.maxResume99Ms)}) ${at99 <= g.maxResume99Ms ? "✓" : "✗"}`,
  ];
  const detail = `${parts.join("; ")}${caveat(idle, storm)}`;
  if (storm?.error || idle?.error) return decide("P6", input.quick, false, detail);
  if (cold === null || at99 === null) return notMeasured("P6", "one half not measured", detail);
  if (n < g.connections || clients < g.stormClients) return notMeasured("P6", `${fmt(n)} connections, ${fmt(clients)} storm clients (target: ${fmt(g.connections)}, ${fmt(g.stormClients)})`, detail);
  return decide("P6", input.quick, coldMB(cold) <= g.maxColdMB && at99 <= g.maxResume99Ms, detail);
}

/** P1–P6 from the primary target's results (and the baseline's where a ratio is asked for). */
export function evaluateTargets(input: TargetInput): TargetResult[] {
  const results = input.results.map((r) => (r.target === "external" ? { ...r, target: "parley" as const } : r));
  const i = { ...input, results };
  return [p1(i), p2(i), p3(i), p4(i), p5(i), p6(i)];
}
