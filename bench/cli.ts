// Bench CLI: spawns Parley and the Bun baseline (or drives --url), runs the scenarios, audits, and writes result.json, summary.md, report.html.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startBaseline } from "./baseline";
import { defaultWorkers, type Options, parseArgs, parseSlo, type ScenarioName, USAGE } from "./lib/args";
import { charts, html } from "./lib/html";
import { Progress } from "./lib/progress";
import { type Layout, loadAccounts, provision, saveAccounts } from "./lib/provision";
import { EXIT, markdown, type RunResult, verdict } from "./lib/report";
import { GOALS } from "./lib/targets";
import { baselineCommand, canPin, externalTarget, fdLimit, isCompiled, PROVISION_ARGS, parleyCommand, pinSelf, spawnTarget, type Target } from "./lib/target";
import { fanout } from "./scenarios/fanout";
import { history, login } from "./scenarios/http";
import { idle } from "./scenarios/idle";
import { reconnectStorm } from "./scenarios/reconnect";
import { commit, throughput } from "./scenarios/throughput";
import { runShardWorker } from "./lib/shard";
import { auditStorage } from "./scenarios/common";
import { type Ctx, FULL, type Plan, QUICK, type ScenarioResult } from "./scenarios/types";

const RUNNERS: Record<ScenarioName, (ctx: Ctx) => Promise<ScenarioResult>> = {
  fanout, throughput, commit, idle, "reconnect-storm": reconnectStorm, history, login,
};
/** Idle first (cleanest RSS), reconnect-storm last (it kills the server). */
const ORDER: ScenarioName[] = ["idle", "fanout", "throughput", "commit", "history", "login", "reconnect-storm"];
const ROOM_SCENARIOS: ScenarioName[] = ["fanout", "throughput", "history", "reconnect-storm"];

function planFor(o: Options): Plan {
  const p = { ...(o.quick ? QUICK : FULL) };
  if (o.roomSize) p.roomSize = o.roomSize;
  if (o.connections) p.connections = o.connections;
  if (o.senders) p.senders = o.senders;
  if (o.rates) p.rates = o.rates;
  if (o.stepSec) p.stepMs = o.stepSec * 1000;
  if (o.idleConnections) p.idleConnections = o.idleConnections;
  if (o.durationSec) p.throughputMs = p.commitMs = p.httpMs = o.durationSec * 1000;
  // Whole rooms only, so every room has the same fan-out.
  p.connections = Math.max(p.roomSize, Math.floor(p.connections / p.roomSize) * p.roomSize);
  // The storm reuses the idle scenario's accounts (P6: 10,000 clients), never more than either scenario sizes.
  p.reconnectClients = Math.min(p.reconnectClients, Math.max(p.connections, p.idleConnections));
  return p;
}

function cpuModel(): string | undefined {
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim();
  } catch {
    return undefined;
  }
}

function defaultOut(): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  return isCompiled() ? resolve("bench-results", stamp) : resolve(import.meta.dir, "results", stamp);
}

/** Parley's default --presence-grace is 5 s; a second more covers the offline announcements and lastSeen writes. */
const QUIET_MS = 6000;
const QUIET_AFTER_SOCKETS = 500;

function socketsClosed(name: ScenarioName, plan: Plan): number {
  return name === "idle" ? plan.idleConnections
    : name === "fanout" || name === "throughput" ? plan.connections
    : name === "commit" ? plan.commitSenders
    : name === "reconnect-storm" ? plan.reconnectClients
    : 0;
}

/** Accounts the selected scenarios need; every one of them is a member of a room of `roomSize` (idle connections included). */
export function usersNeeded(scenarios: ScenarioName[], plan: Plan): { users: number; solo: number } {
  const users = Math.max(
    1,
    scenarios.some((s) => ROOM_SCENARIOS.includes(s)) ? plan.connections : 0,
    scenarios.includes("idle") ? plan.idleConnections : 0,
    scenarios.includes("commit") ? plan.commitSenders : 0,
    scenarios.includes("reconnect-storm") ? plan.reconnectClients : 0,
  );
  return { users: Math.ceil(users / plan.roomSize) * plan.roomSize, solo: scenarios.includes("commit") ? plan.commitSenders : 0 };
}

/** Offered msgs/s the fanout ladder must measure: every --slo load, and P2's in full runs. */
export function requiredRates(o: Options, plan: Plan): number[] {
  const loads = o.slos.flatMap((s) => (s.atDeliveriesPerSec ? [s.atDeliveriesPerSec] : []));
  // A --nodes run compares topologies at the same rates: every step is run (no cut-off past the knee), and P2's
  // load, a single server's target, is not added.
  if (o.nodes !== undefined) return [...loads.map((d) => d / plan.roomSize), ...plan.rates];
  if (!o.quick) loads.push(GOALS.p2.deliveriesPerSec);
  return loads.map((d) => d / plan.roomSize);
}

async function runTarget(o: Options, plan: Plan, ctxBase: Omit<Ctx, "target" | "layout" | "label">, target: Target, outDir: string, errors: string[]): Promise<ScenarioResult[]> {
  const { progress } = ctxBase;
  const label = target.kind;
  progress.log(`${label}: ${target.url}${target.pid ? ` (pid ${target.pid})` : ""}`);
  let layout: Layout;
  try {
    const reuse = o.accounts ? await loadAccounts(o.accounts) : undefined;
    const need = usersNeeded(o.scenarios, plan);
    const t0 = performance.now();
    layout = await provision(target.url, { users: need.users, members: need.users, roomSize: plan.roomSize, solo: need.solo, reuse }, progress, `${label} provisioning`);
    await saveAccounts(join(outDir, `accounts-${label}.json`), layout.accounts);
    if (target.provisioned) {
      await target.provisioned();
      progress.log(`${label}: provisioned ${need.users} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s with cheap hashing; restarted as measured (pid ${target.pid})`);
    }
  } catch (e) {
    errors.push(`${label}: provisioning failed: ${(e as Error).message}`);
    return [];
  }
  const out: ScenarioResult[] = [];
  const names = ORDER.filter((s) => o.scenarios.includes(s));
  for (const [i, name] of names.entries()) {
    const ctx: Ctx = { ...ctxBase, target, layout, label: `${label} ${name}` };
    const t0 = performance.now();
    try {
      out.push(await RUNNERS[name](ctx));
    } catch (e) {
      out.push({ scenario: name, target: target.kind, metrics: {}, generatorCpu: 0, invalid: [], error: (e as Error).stack ?? String(e) });
    }
    progress.log(`${label} ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s${out.at(-1)?.error ? ` — error: ${out.at(-1)!.error!.split("\n")[0]}` : ""}`);
    // Parley announces "offline" and writes lastSeen PRESENCE_GRACE_MS after a user's last socket closes: after
    // a mass disconnect that work would land in the next scenario's measurement, so let it pass first.
    const closed = socketsClosed(name, plan);
    if (target.kind !== "baseline" && i < names.length - 1 && closed >= QUIET_AFTER_SOCKETS) {
      progress.set(`${label}: quiet ${QUIET_MS / 1000} s after closing ${closed} sockets`);
      await Bun.sleep(QUIET_MS);
    }
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseArgs(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return EXIT.FAILED;
  }
  if (o.help) {
    console.log(USAGE);
    return EXIT.OK;
  }
  if (o.fanoutWorker) return runShardWorker((spec, rec) => auditStorage(spec.url, spec.durable, spec.layout, rec));
  if (o.serveBaseline) {
    const s = startBaseline({ port: o.port });
    console.log(JSON.stringify({ level: "info", msg: "listening", url: `http://${s.hostname}:${s.port}` }));
    return new Promise<number>(() => {}); // serve until killed
  }
  const plan = planFor(o);
  const knee = o.slos[0] ?? parseSlo("p99=50ms");
  const outDir = resolve(o.out ?? defaultOut());
  mkdirSync(outDir, { recursive: true });
  const progress = new Progress();
  const pinned = !o.url && o.pin && canPin() && pinSelf();
  // Beside the server: with pinning the generator keeps to core 0; unpinned it may use all cores but the server's one.
  const workers = o.workers ?? (pinned ? 1 : defaultWorkers());
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0].toFixed(2); // other work on the machine shows up in latency tails
  const errors: string[] = [];
  const results: ScenarioResult[] = [];
  const spawned: Target[] = [];
  const dataDirs: string[] = [];
  const cleanup = async () => {
    for (const t of spawned.splice(0)) await t.stop().catch(() => {});
    for (const d of dataDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  progress.log(`bench → ${outDir} (${o.quick ? "quick" : "full"}; ${pinned ? "server on core 1, generator on core 0" : "not pinned"}; fanout generator: ${workers} process${workers > 1 ? "es" : ""})`);
  const ctxBase = { plan, progress, knee, slos: o.slos, requiredRates: requiredRates(o, plan), workers, delivered: o.delivered };
  const enforceTargets = o.targets ?? (!o.quick && o.nodes === undefined);
  let topology: string | undefined;
  try {
    const targets: (() => Promise<Target>)[] = o.url
      ? [async () => externalTarget(o.url!, o.serverPid)]
      : o.nodes !== undefined
      ? [async () => {
          if (isCompiled()) throw new Error("--nodes needs the repository (it builds the binary and reads deploy/haproxy.cfg): run bun bench/cli.ts");
          // Loaded only here: the cluster kit (server/test/cluster.ts) stays out of the compiled binary.
          const mod = "./lib/cluster-start";
          const { startClusterTarget } = (await import(mod)) as typeof import("./lib/cluster-start");
          const t = await startClusterTarget({ nodes: o.nodes!, store: o.store, direct: o.direct, cpus: pinned ? "1" : undefined }, progress);
          topology = t.cluster.topology;
          return t;
        }]
      : [
          async () => {
            const dir = mkdtempSync(join(tmpdir(), "parley-bench-"));
            dataDirs.push(dir);
            return spawnTarget({ kind: "parley", cmd: parleyCommand(dir, o.serverCmd), cpu: pinned ? 1 : undefined, logPath: join(outDir, "parley.log"), provisionArgs: PROVISION_ARGS });
          },
          ...(o.baseline ? [async () => spawnTarget({ kind: "baseline", cmd: baselineCommand(), cpu: pinned ? 1 : undefined, logPath: join(outDir, "baseline.log") })] : []),
        ];
    for (const make of targets) {
      let target: Target;
      try {
        target = await make();
      } catch (e) {
        errors.push(`could not start server: ${(e as Error).message}`);
        continue;
      }
      if (target.kind !== "external") spawned.push(target);
      results.push(...(await runTarget(o, plan, ctxBase, target, outDir, errors)));
      await cleanup();
    }
  } finally {
    await cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  progress.clear();
  const run: RunResult = verdict({
    version: 1, startedAt, finishedAt: new Date().toISOString(), quick: o.quick, url: o.url,
    machine: {
      cpus: availableParallelism(), cpuModel: cpuModel(), loadavgAtStart: loadAtStart, loadavgAtEnd: loadavg()[0].toFixed(2), pinned, generatorProcesses: workers,
      openFileLimit: fdLimit(), bun: Bun.version, platform: `${process.platform}-${process.arch}`, compiled: isCompiled(),
    },
    plan: { ...plan }, knee: knee.text, topology, results, errors,
  }, o.slos, enforceTargets);
  const md = markdown(run);
  await Bun.write(join(outDir, "result.json"), JSON.stringify(run, null, 1));
  await Bun.write(join(outDir, "summary.md"), md);
  await Bun.write(join(outDir, "report.html"), html(run, knee.thresholdMs));
  for (const c of charts(run, knee.thresholdMs)) await Bun.write(join(outDir, c.file), c.svg);
  process.stdout.write(md);
  progress.log(`exit ${run.exitCode}: ${join(outDir, "report.html")}`);
  return run.exitCode;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
