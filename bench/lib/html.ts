// Self-contained HTML report: the Markdown tables rendered plainly, plus inline SVG charts (latency vs offered load, Parley next to baseline).
import type { ScenarioResult } from "../scenarios/types";
import { markdown, type RunResult } from "./report";
import { GOALS } from "./targets";

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ v: a round axis step. */
function nice(v: number): number {
  const mag = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= v)!;
}

const COLORS = { p50: "#2b8a3e", p99: "#e67700", p999: "#c92a2a" } as const;

/** Latency percentiles (log y) against offered deliveries/s; solid = Parley, dashed = baseline; a red line marks the knee SLO. */
export interface LoadMarker {
  deliveriesPerSec: number;
  label: string;
  ticks: { key: "p99" | "p999"; ms: number }[];
}

export function latencyChart(series: { name: string; steps: NonNullable<ScenarioResult["steps"]>; dashed: boolean }[], sloMs?: number, marker?: LoadMarker): string {
  const W = 720, H = 360, L = 64, R = 150, T = 20, B = 48;
  const pts = series.flatMap((s) => s.steps);
  if (!pts.length) return "";
  const xMax = Math.max(...pts.map((p) => p.offeredDeliveriesPerSec)) * 1.05;
  const ys = pts.flatMap((p) => [p.latencyUs.p50, p.latencyUs.p999].map((us) => Math.max(us / 1000, 0.01)));
  const tickMs = marker?.ticks.map((t) => t.ms) ?? [];
  const yLo = Math.floor(Math.log10(Math.min(...ys, sloMs ?? Infinity)));
  const yHi = Math.ceil(Math.log10(Math.max(...ys, sloMs ?? 0, ...tickMs) * 1.1));
  const x = (v: number) => L + (v / xMax) * (W - L - R);
  const y = (ms: number) => T + (1 - (Math.log10(Math.max(ms, 10 ** yLo)) - yLo) / Math.max(1, yHi - yLo)) * (H - T - B);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  for (let e = yLo; e <= yHi; e++) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/><text x="${L - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e} ms</text>`);
  }
  const xStep = nice(xMax / 5);
  for (let v = 0; v <= xMax; v += xStep) {
    out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${x(v)}" y="${H - B + 16}" text-anchor="middle">${Math.round(v).toLocaleString("en-US")}</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">offered deliveries/s</text>`);
  if (sloMs !== undefined) out.push(`<line x1="${L}" x2="${W - R}" y1="${y(sloMs)}" y2="${y(sloMs)}" stroke="red" stroke-dasharray="2 3"/><text x="${L + 4}" y="${y(sloMs) - 4}" fill="red">knee SLO ${sloMs} ms</text>`);
  if (marker && marker.deliveriesPerSec <= xMax) {
    // The load a target is judged at, with its thresholds as ticks on that line.
    const mx = x(marker.deliveriesPerSec);
    out.push(`<line x1="${mx}" x2="${mx}" y1="${T}" y2="${H - B}" stroke="#495057" stroke-dasharray="4 3"/><text x="${mx - 4}" y="${T + 10}" text-anchor="end" fill="#495057">${esc(marker.label)}</text>`);
    for (const t of marker.ticks) out.push(`<line x1="${mx - 10}" x2="${mx + 10}" y1="${y(t.ms)}" y2="${y(t.ms)}" stroke="${COLORS[t.key]}" stroke-width="3"><title>${esc(marker.label)}: ${t.key.replace("p999", "p99.9")} ≤ ${t.ms} ms</title></line>`);
  }
  let legend = T + 10;
  for (const s of series) {
    for (const k of ["p50", "p99", "p999"] as const) {
      const d = s.steps.map((p, i) => `${i ? "L" : "M"}${x(p.offeredDeliveriesPerSec).toFixed(1)},${y(p.latencyUs[k] / 1000).toFixed(1)}`).join(" ");
      const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
      out.push(`<path d="${d}" fill="none" stroke="${COLORS[k]}" stroke-width="2"${dash}/>`);
      for (const p of s.steps) out.push(`<circle cx="${x(p.offeredDeliveriesPerSec)}" cy="${y(p.latencyUs[k] / 1000)}" r="3" fill="${p.pass ? COLORS[k] : "#fff"}" stroke="${COLORS[k]}"><title>${esc(s.name)} ${k} ${(p.latencyUs[k] / 1000).toFixed(2)} ms at ${p.offeredDeliveriesPerSec}/s${p.pass ? "" : ` — ${esc(p.why ?? "")}`}</title></circle>`);
      out.push(`<line x1="${W - R + 6}" x2="${W - R + 30}" y1="${legend}" y2="${legend}" stroke="${COLORS[k]}" stroke-width="2"${dash}/><text x="${W - R + 34}" y="${legend + 4}">${esc(s.name)} ${k.replace("p999", "p99.9")}</text>`);
      legend += 16;
    }
  }
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/></svg>`);
  return out.join("");
}

/** Paired horizontal bars per metric of a scenario, each pair scaled to its own larger value. */
export function barsChart(main: ScenarioResult | undefined, base: ScenarioResult | undefined): string {
  const ref = main ?? base;
  if (!ref) return "";
  const keys = Object.keys(ref.metrics).filter((k) => (main?.metrics[k]?.value ?? base?.metrics[k]?.value) !== null);
  const W = 720, rowH = 44, L = 230;
  const H = keys.length * rowH + 10;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  keys.forEach((k, i) => {
    const a = main?.metrics[k]?.value ?? 0, b = base?.metrics[k]?.value ?? 0;
    const max = Math.max(a, b, 1e-9);
    const unit = ref.metrics[k].unit;
    const y0 = 8 + i * rowH;
    out.push(`<text x="${L - 8}" y="${y0 + 16}" text-anchor="end">${esc(k)} (${ref.metrics[k].better} better)</text>`);
    [[main, a, "#1971c2", 0], [base, b, "#adb5bd", 18]].forEach(([r, v, color, dy]) => {
      if (!r) return;
      const w = ((v as number) / max) * (W - L - 240);
      const shown = Math.abs(v as number) >= 100 ? Math.round(v as number).toLocaleString("en-US") : String(v);
      out.push(`<rect x="${L}" y="${y0 + (dy as number)}" width="${w.toFixed(1)}" height="16" fill="${color}"/><text x="${L + w + 4}" y="${y0 + (dy as number) + 12}">${shown} ${esc(unit)} ${(r as ScenarioResult).target}</text>`);
    });
  });
  out.push("</svg>");
  return out.join("");
}

type RssKb = { beforeAfterWarmUp?: number; connectedAfterEachCycle?: (number | null)[]; disconnectedAfterEachCycle?: (number | null)[]; afterCyclesDisconnected?: number };

/** Server RSS (MiB) through the idle scenario's phases: before, connected (cycle 0), disconnected, connected (cycle 1) … */
export function rssChart(series: { name: string; rss: RssKb; dashed: boolean }[]): string {
  const phases = (r: RssKb) => {
    const out: { label: string; kb: number | null | undefined }[] = [{ label: "before", kb: r.beforeAfterWarmUp }];
    (r.connectedAfterEachCycle ?? []).forEach((kb, i) => {
      if (i > 0) out.push({ label: `off ${i}`, kb: r.disconnectedAfterEachCycle?.[i - 1] });
      out.push({ label: `on ${i}`, kb });
    });
    out.push({ label: "after", kb: r.afterCyclesDisconnected });
    return out;
  };
  const all = series.map((s) => ({ ...s, pts: phases(s.rss) }));
  const vals = all.flatMap((s) => s.pts.flatMap((p) => (typeof p.kb === "number" ? [p.kb / 1024] : [])));
  if (!vals.length) return "";
  const W = 720, H = 300, L = 64, R = 150, T = 20, B = 40;
  const n = Math.max(...all.map((s) => s.pts.length));
  const yMax = nice((Math.max(...vals) * 1.1) / 4) * 4;
  const x = (i: number) => L + (i / Math.max(1, n - 1)) * (W - L - R);
  const y = (mb: number) => T + (1 - mb / yMax) * (H - T - B);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)} MiB</text>`);
  }
  all[0].pts.forEach((p, i) => out.push(`<text x="${x(i)}" y="${H - B + 16}" text-anchor="middle">${esc(p.label)}</text>`));
  let legend = T + 10;
  for (const s of all) {
    const color = s.dashed ? "#868e96" : "#1971c2";
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    const d = s.pts.flatMap((p, i) => (typeof p.kb === "number" ? [`${x(i).toFixed(1)},${y(p.kb / 1024).toFixed(1)}`] : [])).map((xy, i) => `${i ? "L" : "M"}${xy}`).join(" ");
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    s.pts.forEach((p, i) => {
      if (typeof p.kb === "number") out.push(`<circle cx="${x(i)}" cy="${y(p.kb / 1024)}" r="3" fill="${color}"><title>${esc(s.name)} ${p.label}: ${(p.kb / 1024).toFixed(1)} MiB</title></circle>`);
    });
    out.push(`<line x1="${W - R + 6}" x2="${W - R + 30}" y1="${legend}" y2="${legend}" stroke="${color}" stroke-width="2"${dash}/><text x="${W - R + 34}" y="${legend + 4}">${esc(s.name)} RSS</text>`);
    legend += 16;
  }
  out.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#333"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/></svg>`);
  return out.join("");
}

/** Every chart of a run, as standalone SVG files (the HTML report inlines the same ones). */
export function charts(run: RunResult, kneeMs: number): { scenario: string; file: string; svg: string }[] {
  const out: { scenario: string; file: string; svg: string }[] = [];
  for (const name of [...new Set(run.results.map((r) => r.scenario))]) {
    const main = run.results.find((r) => r.scenario === name && r.target !== "baseline");
    const base = run.results.find((r) => r.scenario === name && r.target === "baseline");
    const pair = [main, base].filter((r): r is ScenarioResult => Boolean(r));
    if (name === "fanout") {
      const series = pair.filter((r) => r.steps?.length).map((r) => ({ name: r.target, steps: r.steps!, dashed: r.target === "baseline" }));
      const g = GOALS.p2;
      const marker: LoadMarker | undefined = run.quick ? undefined : { deliveriesPerSec: g.deliveriesPerSec, label: `P2 load: p99 ≤ ${g.p99Ms}, p99.9 ≤ ${g.p999Ms} ms`, ticks: [{ key: "p99", ms: g.p99Ms }, { key: "p999", ms: g.p999Ms }] };
      const svg = latencyChart(series, kneeMs, marker);
      if (svg) out.push({ scenario: name, file: "fanout-latency.svg", svg });
    }
    if (name === "idle") {
      const series = pair.filter((r) => r.details?.rssKb).map((r) => ({ name: r.target, rss: r.details!.rssKb as RssKb, dashed: r.target === "baseline" }));
      const svg = rssChart(series);
      if (svg) out.push({ scenario: name, file: "idle-rss.svg", svg });
    }
    const bars = barsChart(main, base);
    if (bars && !(main ?? base)?.details?.skipped) out.push({ scenario: name, file: `${name}.svg`, svg: bars });
  }
  return out;
}

export function html(run: RunResult, kneeMs: number): string {
  const all = charts(run, kneeMs);
  const parts: string[] = [];
  const verdictCell = (v: string) => `<td style="font-weight:bold;color:${v === "PASS" ? "#2b8a3e" : v === "FAIL" ? "#c92a2a" : "#868e96"}">${esc(v)}</td>`;
  parts.push(`<h2>Targets</h2><p>${run.targetsEnforced ? "Enforced: a FAIL sets exit code 2." : "Reported only (--targets enforces them)."}${run.quick ? " A quick run cannot measure them at full size." : ""}</p>`);
  parts.push(`<table><tr><th>target</th><th>verdict</th><th>goal</th><th>measured</th></tr>${run.targets.map((t) => `<tr><td>${t.id}</td>${verdictCell(t.verdict)}<td>${esc(t.goal)}</td><td>${esc(t.detail)}</td></tr>`).join("")}</table>`);
  for (const name of [...new Set(run.results.map((r) => r.scenario))]) {
    parts.push(`<h2>${esc(name)}</h2>`);
    for (const c of all.filter((c) => c.scenario === name)) parts.push(c.svg);
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>Parley bench ${esc(run.startedAt)}</title>
<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}pre{white-space:pre-wrap;background:#f8f9fa;padding:1em;font-size:12px}svg{display:block;margin:1em 0}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}</style></head>
<body><h1>Parley bench — exit ${run.exitCode}</h1>${parts.join("\n")}<h2>Summary</h2><pre>${esc(markdown(run))}</pre></body></html>`;
}
