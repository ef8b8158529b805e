// Idle: N authenticated idle connections; server RSS per connection, and RSS drift over disconnect/reconnect cycles (leak check, P3).
import type { Conn } from "../lib/client";
import { waitFor } from "../lib/progress";
import { closeAll, connectAll, Recorder } from "../lib/recorder";
import { fdLimit, rssKb } from "../lib/target";
import { type Ctx, metric, type ScenarioResult } from "./types";

/** At least this long after a burst of connects or disconnects before RSS is read (the server collects ~200 ms after a burst settles). */
export const SETTLE_MIN_MS = 1000;
const SETTLE_MAX_MS = 5000;
const SETTLE_STEP_MS = 250;
/** RSS counts as settled when two reads SETTLE_STEP_MS apart differ by at most this fraction. */
const SETTLE_TOLERANCE = 0.005;

/**
 * Waits SETTLE_MIN_MS after a burst, then until RSS stops moving (capped), and returns it.
 * The generator collects its own garbage first: it does not count, but a quiet generator
 * makes the server's numbers steadier.
 */
async function settledRss(pid: number | undefined): Promise<number | undefined> {
  Bun.gc(true);
  await Bun.sleep(SETTLE_MIN_MS);
  let prev = rssKb(pid);
  for (let waited = SETTLE_MIN_MS; prev !== undefined && waited < SETTLE_MAX_MS; waited += SETTLE_STEP_MS) {
    await Bun.sleep(SETTLE_STEP_MS);
    const cur = rssKb(pid);
    if (cur === undefined || Math.abs(cur - prev) <= prev * SETTLE_TOLERANCE) return cur;
    prev = cur;
  }
  return prev;
}

/** Per-connection cost and drift from the RSS readings (KiB); exported for tests. */
export function idleFigures(n: number, before?: number, connected?: number[], after?: number) {
  const c0 = connected?.[0];
  const cLast = connected?.at(-1);
  return {
    perConnKb: before !== undefined && c0 !== undefined && n > 0 ? (c0 - before) / n : null,
    /** |connected after the last cycle − connected after cycle 0| / connected after cycle 0. */
    drift: c0 !== undefined && cLast !== undefined && c0 > 0 && connected!.length > 1 ? Math.abs(cLast - c0) / c0 : null,
    growthKb: after !== undefined && before !== undefined ? after - before : null,
  };
}

export async function idle(ctx: Ctx): Promise<ScenarioResult> {
  const { plan, layout, target, progress } = ctx;
  const n = plan.idleConnections;
  // Each side holds one descriptor per socket: too low a limit fails the connects half way.
  const need = n + 256;
  const limits = { generator: fdLimit(), server: fdLimit(target.pid) };
  const short = Object.entries(limits).filter(([, v]) => v !== undefined && v < need);
  if (short.length) {
    return {
      scenario: "idle", target: target.kind, metrics: {}, generatorCpu: 0, invalid: [], details: { connections: n, fdLimits: limits },
      error: `open-file limit too low for ${n} connections (${short.map(([k, v]) => `${k} ${v}`).join(", ")}; need ≥ ${need}): raise it with \`ulimit -n\` (make bench does)`,
    };
  }
  const rec = new Recorder(layout, 0);
  const rss = () => settledRss(target.pid);
  const connect = (what: string) => connectAll(target.url, layout, n, rec, { autoReconnect: false }, progress, `${ctx.label} (${what})`);
  const disconnect = async (conns: Conn[]) => {
    closeAll(conns);
    await waitFor(() => conns.every((c) => !c.open), 10_000);
  };
  // Cold (issue 14, P6): a server restarted after provisioning, as a real restart is — the accounts exist,
  // nothing else has happened in this process — gets its first N hellos; RSS once settled. Only a server
  // that keeps its data: the baseline would forget its rooms, and the scenarios after this one need them.
  const coldStart = target.restartable && target.durable;
  if (coldStart) {
    progress.set(`${ctx.label}: restarting the server (cold start)`);
    await target.kill();
    await target.restart();
  }
  const fresh = await rss();
  // That first cycle is also the warm-up: provisioning and the first connects leave garbage and lazily grown
  // pools that the server's post-burst GC does not cover; "before" is read once a full cycle has come and gone.
  const warm = await connect(coldStart ? "cold, warm-up" : "warm-up");
  const cold = coldStart ? await rss() : undefined;
  await disconnect(warm);
  const before = await rss();
  let conns = await connect("cycle 0");
  const connected: (number | undefined)[] = [await rss()];
  const disconnected: (number | undefined)[] = [];
  for (let cycle = 1; cycle <= plan.idleCycles; cycle++) {
    await disconnect(conns);
    disconnected.push(await rss());
    conns = await connect(`cycle ${cycle}`);
    connected.push(await rss());
  }
  await disconnect(conns);
  const after = await rss();
  const ok = connected.every((v) => v !== undefined);
  const f = idleFigures(n, before, ok ? (connected as number[]) : undefined, after);
  const notes = target.pid === undefined ? ["server pid unknown (pass --server-pid with --url): RSS not measured"] : [];
  return {
    scenario: "idle",
    target: target.kind,
    metrics: {
      rssPerConnectionKb: metric(f.perConnKb, "KiB/conn", "lower"),
      rssDriftAfterCyclesPct: metric(f.drift === null ? null : f.drift * 100, "%", "lower"),
      rssConnectedMb: metric(connected[0] !== undefined ? connected[0] / 1024 : null, "MiB", "lower"),
      rssColdConnectedMb: metric(cold !== undefined ? cold / 1024 : null, "MiB", "lower"),
      rssGrowthAfterCyclesMb: metric(f.growthKb === null ? null : f.growthKb / 1024, "MiB", "lower"),
    },
    details: {
      connections: n, cycles: plan.idleCycles, fdLimits: limits,
      rssKb: { freshAfterRestart: fresh, coldConnected: cold ?? null, beforeAfterWarmUp: before, connectedAfterEachCycle: connected, disconnectedAfterEachCycle: disconnected, afterCyclesDisconnected: after },
      method: `RSS read ≥ ${SETTLE_MIN_MS} ms after each burst, once stable; cold = N connected right after a restart of the provisioned server (none when the bench did not spawn it, or it keeps no data); per connection = (connected after cycle 0 − before) / N, before = after a warm-up cycle of N; drift = |connected after cycle ${plan.idleCycles} − connected after cycle 0| / connected after cycle 0`,
      notes,
    },
    generatorCpu: 0,
    invalid: [],
  };
}
