// Run verdict (audit, SLOs, validity → exit code), ratios to the baseline, and the Markdown summary.
import type { ScenarioResult } from "../scenarios/types";
import { sloKey } from "../scenarios/types";
import type { Slo } from "./args";
import { type AuditReport, mergeReports } from "./audit";
import type { HistogramSummary } from "./histogram";
import { SATURATED } from "./progress";
import { type StoreShare, storeText } from "./server-metrics";
import { evaluateTargets, type TargetResult } from "./targets";

export interface SloResult {
  slo: string;
  pass: boolean;
  detail: string;
}

export interface RunResult {
  version: 1;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  url?: string;
  machine: Record<string, unknown>;
  plan: Record<string, unknown>;
  knee: string;
  /** --nodes: what ran (nodes, store and bus, how clients connect). */
  topology?: string;
  results: ScenarioResult[];
  /** ratios[scenario][metric] = Parley ÷ baseline. */
  ratios: Record<string, Record<string, number | null>>;
  audit: AuditReport;
  slos: SloResult[];
  /** P1–P6; always evaluated, but they set the exit code only when enforced. */
  targets: TargetResult[];
  targetsEnforced: boolean;
  errors: string[];
  invalid: string[];
  valid: boolean;
  exitCode: number;
}

export const EXIT = { OK: 0, FAILED: 1, SLO: 2, INVALID: 3 } as const;

/** The target whose figures count: Parley, or the --url server. */
export function primary(results: ScenarioResult[], scenario: string): ScenarioResult | undefined {
  return results.find((r) => r.scenario === scenario && r.target !== "baseline");
}

export function ratios(results: ScenarioResult[]): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  for (const base of results.filter((r) => r.target === "baseline")) {
    const main = primary(results, base.scenario);
    if (!main) continue;
    const row: Record<string, number | null> = {};
    for (const [k, m] of Object.entries(main.metrics)) {
      const b = base.metrics[k]?.value;
      row[k] = m.value !== null && b !== null && b !== undefined && b !== 0 ? Math.round((m.value / b) * 1000) / 1000 : null;
    }
    out[base.scenario] = row;
  }
  return out;
}

/** p99=30ms@100000: the ladder step at that offered load must hold the percentile with nothing lost. Without @: some step must. */
export function evaluateSlo(slo: Slo, fanout: ScenarioResult | undefined): SloResult {
  const key = sloKey(slo.percentile);
  if (!fanout?.steps?.length) return { slo: slo.text, pass: false, detail: "fanout did not run, so the SLO could not be checked" };
  const holds = (s: NonNullable<ScenarioResult["steps"]>[number]) => (s.sloUs[key] ?? Infinity) <= slo.thresholdMs * 1000 && s.lost === 0 && s.notSent === 0;
  if (slo.atDeliveriesPerSec === undefined) {
    const best = fanout.steps.filter(holds).at(-1);
    return best
      ? { slo: slo.text, pass: true, detail: `held up to ${best.offeredDeliveriesPerSec} deliveries/s (${key} ${(best.sloUs[key] / 1000).toFixed(2)} ms)` }
      : { slo: slo.text, pass: false, detail: `no load step held ${key} ≤ ${slo.thresholdMs} ms with zero loss` };
  }
  const at = slo.atDeliveriesPerSec;
  const step = fanout.steps.find((s) => Math.abs(s.offeredDeliveriesPerSec - at) <= at * 0.01);
  if (!step) {
    const top = fanout.steps.at(-1)!;
    return { slo: slo.text, pass: false, detail: `ladder stopped at ${top.offeredDeliveriesPerSec} deliveries/s (${top.why ?? "SLO missed"}) before reaching ${at}` };
  }
  const got = (step.sloUs[key] ?? NaN) / 1000;
  return holds(step)
    ? { slo: slo.text, pass: true, detail: `${key} ${got.toFixed(2)} ms at ${step.offeredDeliveriesPerSec} deliveries/s, nothing lost` }
    : { slo: slo.text, pass: false, detail: `${key} ${got.toFixed(2)} ms, lost ${step.lost}, not sent ${step.notSent} at ${step.offeredDeliveriesPerSec} deliveries/s` };
}

/** Fills in audit, SLO and target results, validity and the exit code. Correctness beats SLOs and targets beats validity. */
export function verdict(run: Omit<RunResult, "audit" | "slos" | "ratios" | "valid" | "exitCode" | "invalid" | "targets" | "targetsEnforced">, slos: Slo[], enforceTargets = false): RunResult {
  const mine = run.results.filter((r) => r.target !== "baseline");
  const audit = mergeReports(mine.flatMap((r) => (r.audit ? [r.audit] : [])));
  const sloResults = slos.map((s) => evaluateSlo(s, primary(run.results, "fanout")));
  const invalid = run.results.flatMap((r) => r.invalid.map((w) => `${r.target} ${r.scenario}: ${w}`));
  const errors = [...run.errors, ...mine.flatMap((r) => (r.error ? [`${r.target} ${r.scenario}: ${r.error}`] : []))];
  const targets = evaluateTargets({ quick: run.quick, results: run.results });
  const missed = sloResults.some((s) => !s.pass) || (enforceTargets && targets.some((t) => t.verdict === "FAIL"));
  const exitCode = errors.length || !audit.ok ? EXIT.FAILED : missed ? EXIT.SLO : invalid.length ? EXIT.INVALID : EXIT.OK;
  return { ...run, errors, audit, slos: sloResults, targets, targetsEnforced: enforceTargets, ratios: ratios(run.results), invalid, valid: invalid.length === 0, exitCode };
}

const fmt = (v: number | null | undefined, unit = "") => (v === null || v === undefined ? "–" : `${v >= 100 ? Math.round(v).toLocaleString("en-US") : v}${unit ? ` ${unit}` : ""}`);

/** --nodes: each step's deliveries split by the receiver's node, and every server-side process's CPU. */
function clusterLines(r: ScenarioResult): string[] {
  const L: string[] = [];
  const p = r.details?.placement as { perNode: number[]; roomsSpanning: number; crossingShare: number } | undefined;
  if (p) L.push(`Placement: connections per node ${p.perNode.join(" / ")}; ${p.roomsSpanning} rooms span nodes; ${(p.crossingShare * 100).toFixed(1)} % of deliveries go to another node than the sender's.`, "");
  const ms = (us: number) => (us / 1000).toFixed(2);
  L.push("| msgs/s | same node: n | p50 | p99 | p99.9 | other node: n | p50 | p99 | p99.9 | server CPU by process | other work on the machine | load avg |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |");
  for (const s of r.steps ?? []) {
    const h = (x?: HistogramSummary) => (x?.count ? `${x.count} | ${ms(x.p50)} | ${ms(x.p99)} | ${ms(x.p999)}` : "0 | – | – | –");
    const cpu = Object.entries(s.serverCpuBy ?? {}).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(", ");
    const other = s.otherCpu === undefined ? "–" : `${Math.round(s.otherCpu * 100)}% CPU, ${Math.round((s.stealCpu ?? 0) * 100)}% stolen`;
    L.push(`| ${s.ratePerSec} | ${h(s.crossing?.local)} | ${h(s.crossing?.remote)} | ${cpu || "–"} | ${other} | ${s.loadavg ?? "–"} |`);
  }
  L.push("");
  return L;
}

/**
 * What a report says of the generator in one scenario: its CPU per delivery received, and whether it was the
 * limit (a process at ≥ SATURATED of its core). When it was, the figures that count are those per second of
 * server CPU (P1 is judged that way), not the rates.
 */
export function generatorVerdict(r: ScenarioResult): string {
  const g = r.generatorCost;
  const who = `${r.scenario} (${r.target})`;
  if (!g) return `${who}: generator at ${Math.round(r.generatorCpu * 100)} % of a core (cost not measured)`;
  const cost = g.usPerDelivery === null ? "no deliveries" : `${g.usPerDelivery} µs of generator CPU per delivery received (${g.cpuSec} CPU-s ÷ ${g.deliveries.toLocaleString("en-US")})`;
  const top = Math.round(Math.max(0, ...g.shares) * 100);
  // Both sides' CPU in one line: the server's share (highest step of a ladder) next to the generator's processes.
  const server = r.steps?.length ? Math.max(...r.steps.map((s) => s.serverCpu ?? Number.NaN)) : Number(r.details?.serverCpu);
  const procs = `${g.processes} process${g.processes === 1 ? "" : "es"}, busiest at ${top} % of its core${Number.isFinite(server) ? ` (server: ${Math.round(server * 100)} % of a core)` : ""}`;
  return g.limited
    ? `${who}: ${cost}; ${procs}: **the generator was the limit** (≥ ${SATURATED * 100} %), so rates are its ceiling and the server is judged per CPU-second`
    : `${who}: ${cost}; ${procs}: not the limit (< ${SATURATED * 100} %)`;
}

/**
 * A closed loop's server CPU per message split in two: the time Parley's store held the event loop (its commits'
 * fsync waits included, so an upper bound of the store's CPU) and the rest, next to the baseline's whole cost.
 */
export function storeLine(main: ScenarioResult | undefined, base: ScenarioResult | undefined): string | undefined {
  const store = main?.details?.storeUsPerMsg as StoreShare | undefined;
  const server = main?.metrics.serverUsPerMsg?.value;
  if (!store || server === null || server === undefined) return undefined;
  const rest = Math.round((server - store.commit - store.index) * 10) / 10;
  const relay = base?.metrics.serverUsPerMsg?.value;
  const vs = relay ? `, ×${Math.round((rest / relay) * 100) / 100} the baseline's whole ${relay} µs` : "";
  return `${main!.target}: of ${server} µs of server CPU per message, the store held the event loop ${storeText(store)}; the rest: ${rest} µs${vs}`;
}

export function markdown(run: RunResult): string {
  const status = run.exitCode === EXIT.OK ? "PASS" : run.exitCode === EXIT.SLO ? (run.slos.some((s) => !s.pass) ? "SLO MISSED" : "TARGET MISSED") : run.exitCode === EXIT.INVALID ? "INVALID" : "FAIL";
  const L: string[] = [`# Parley bench — ${status}`, ""];
  L.push(`${run.startedAt} · ${run.quick ? "quick" : "full"} · ${run.url ?? run.topology ?? (run.results.some((r) => r.target === "baseline") ? "spawned Parley + Bun baseline" : "spawned Parley")} · knee SLO ${run.knee}`);
  L.push(`machine: ${Object.entries(run.machine).map(([k, v]) => `${k} ${v}`).join(", ")}`, "");
  const a = run.audit;
  L.push(`**Correctness audit:** ${a.ok ? "clean" : "FAILED"} — ${a.acked} acked messages, ${a.deliveries} deliveries checked over ${a.streams} streams, ${a.roomsChecked} rooms checked against storage.`);
  L.push(`missing ${a.missing} · duplicated ${a.duplicated} · out of order ${a.outOfOrder} · mismatched ${a.mismatched} · not stored ${a.notStored} · unanswered ${a.unacked} · rejected ${a.rejected} · rooms unverified ${a.unverified}`);
  for (const e of a.examples) L.push(`- ${e}`);
  L.push("");
  L.push("**Generator:**", "");
  for (const r of run.results) if (!r.details?.skipped && !r.error) L.push(`- ${generatorVerdict(r)}`);
  L.push("");
  L.push(`**Targets** (${run.targetsEnforced ? "enforced: a FAIL sets exit code 2" : "reported only; --targets enforces them"}${run.quick ? "; a quick run cannot measure them at full size" : ""}):`, "");
  L.push("| target | verdict | goal | measured |", "| --- | --- | --- | --- |");
  for (const t of run.targets) L.push(`| ${t.id} | ${t.verdict === "PASS" ? "✓ PASS" : t.verdict === "FAIL" ? "✗ FAIL" : "NOT MEASURED"} | ${t.goal} | ${t.detail} |`);
  L.push("");
  if (run.slos.length) {
    L.push("| SLO | result | detail |", "| --- | --- | --- |");
    for (const s of run.slos) L.push(`| ${s.slo} | ${s.pass ? "✓ met" : "✗ missed"} | ${s.detail} |`);
    L.push("");
  }
  for (const e of run.errors) L.push(`- **error:** ${e}`);
  for (const w of run.invalid) L.push(`- **invalid:** ${w}`);
  if (run.errors.length || run.invalid.length) L.push("");
  for (const name of [...new Set(run.results.map((r) => r.scenario))]) {
    const main = primary(run.results, name);
    const base = run.results.find((r) => r.scenario === name && r.target === "baseline");
    L.push(`## ${name}`, "");
    const ref = main ?? base!;
    if (ref.details?.skipped) {
      L.push(`skipped: ${ref.details.skipped}`, "");
      continue;
    }
    L.push(`| metric | ${main ? main.target : ""} | ${base ? "baseline" : ""} | ratio |`, "| --- | ---: | ---: | ---: |");
    for (const [k, m] of Object.entries(ref.metrics)) {
      const r = run.ratios[name]?.[k];
      L.push(`| ${k} (${m.better} is better) | ${fmt(main?.metrics[k]?.value, m.unit)} | ${fmt(base?.metrics[k]?.value, m.unit)} | ${r === null || r === undefined ? "–" : `×${r}`} |`);
    }
    const gen = (r?: ScenarioResult) => (r ? `${Math.round(r.generatorCpu * 100)}%${r.generatorBound ? " (generator-bound: rates are lower bounds)" : ""}` : "");
    L.push(`| generator CPU | ${gen(main)} | ${gen(base)} | |`, "");
    const store = storeLine(main, base);
    if (store) L.push(`- ${store}`, "");
    for (const r of [main, base]) {
      if (!r?.details) continue;
      const rss = r.details.rssKb as Record<string, unknown> | undefined;
      if (rss) L.push(`${r.target} RSS KiB: ${Object.entries(rss).map(([k, v]) => `${k} ${Array.isArray(v) ? `[${v.join(", ")}]` : v}`).join(" · ")}`, "");
      for (const n of (r.details.notes as string[] | undefined) ?? []) L.push(`- ${r.target}: ${n}`);
      if ((r.details.notes as string[] | undefined)?.length) L.push("");
    }
    for (const r of [main, base]) {
      if (!r?.steps?.length) continue;
      L.push(`${r.target} ladder:`, "", "| msgs/s | deliveries/s offered | achieved | p50 ms | p99 ms | p99.9 ms | max ms | lost | gen CPU | gen µs/delivery | server CPU | server µs/msg | store µs/msg (commit + index) | |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
      for (const s of r.steps) {
        const ms = (us: number) => (us / 1000).toFixed(2);
        L.push(`| ${s.ratePerSec} | ${s.offeredDeliveriesPerSec} | ${s.achievedDeliveriesPerSec} | ${ms(s.latencyUs.p50)} | ${ms(s.latencyUs.p99)} | ${ms(s.latencyUs.p999)} | ${ms(s.latencyUs.max)} | ${s.lost} | ${Math.round(s.generatorCpu * 100)}%${s.generatorCpuBy ? ` (${s.generatorCpuBy.map((x) => Math.round(x * 100)).join("/")})` : ""} | ${s.generatorUsPerDelivery ?? "–"} | ${s.serverCpu === undefined ? "–" : `${Math.round(s.serverCpu * 100)}%`} | ${s.serverUsPerMsg ?? "–"} | ${s.storeUsPerMsg ? `${s.storeUsPerMsg.commit} + ${s.storeUsPerMsg.index}` : "–"} | ${s.pass ? "✓" : `✗ ${s.why ?? "missed"}`} |`);
      }
      L.push("");
      if (r.steps.some((s) => s.crossing || s.serverCpuBy)) L.push(...clusterLines(r));
    }
  }
  L.push("Latencies: receive time − *scheduled* send time (open loop, no coordinated omission), one sample per receiving connection. Throughput, history and login are closed loop.");
  return L.join("\n") + "\n";
}
