// Command-line options of the bench CLI and the --slo target syntax.
import { availableParallelism } from "node:os";

export const SCENARIOS = ["fanout", "throughput", "commit", "idle", "reconnect-storm", "history", "login"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** `p99=30ms@100000`: the 99th percentile of delivery latency stays ≤ 30 ms at an offered 100,000 deliveries/s. */
export interface Slo {
  text: string;
  percentile: number;
  thresholdMs: number;
  /** Offered deliveries per second the target must hold; absent: the threshold only defines the fanout knee. */
  atDeliveriesPerSec?: number;
}

export interface Options {
  url?: string;
  scenarios: ScenarioName[];
  quick: boolean;
  slos: Slo[];
  out?: string;
  accounts?: string;
  baseline: boolean;
  /** taskset: server on core 1, generator on the others (off by default: the server gets the whole machine, as in production). */
  pin: boolean;
  /** Generator processes for fanout; default: what the machine allows beside the server (cores − 1, at least 1). */
  workers?: number;
  serverPid?: number;
  serverCmd?: string[];
  connections?: number;
  roomSize?: number;
  senders?: number;
  rates?: number[];
  stepSec?: number;
  idleConnections?: number;
  /** Seconds of the closed-loop and HTTP scenarios (throughput, commit, history, login). */
  durationSec?: number;
  /** Whether a FAILed P1–P6 target sets the exit code; default: on in full runs, off with --quick. */
  targets?: boolean;
  /** Cluster target (bench/lib/cluster.ts): this many compiled nodes instead of one spawned `bun server/main.ts`. */
  nodes?: number;
  /** With --nodes: postgres (PostgreSQL + a Redis bus; the default) or libsql (one node, no bus). */
  store: "libsql" | "postgres";
  /** With --nodes: connect straight to the nodes, round robin, instead of through HAProxy. */
  direct: boolean;
  /** Fanout: every receiving connection reports delivery as a real client does (`delivered`, at most once a second per room). */
  delivered: boolean;
  serveBaseline: boolean;
  /** Hidden: run as a fanout worker process (bench/lib/shard.ts), driven over IPC. */
  fanoutWorker: boolean;
  port: number;
  help: boolean;
}

export const USAGE = `usage: bench [options]
  --url URL           drive a running server instead of spawning one (no baseline, no restart;
                      it must run with --registration open, or pass --accounts)
  --scenario NAME     ${SCENARIOS.join(" | ")} (repeat or comma-separate; default all)
  --quick             small sizes: every scenario in about a minute (CI)
  --slo SPEC          e.g. p99=30ms@100000 (percentile=threshold@deliveries/s); repeatable; exit 2 if missed
  --out DIR           where result.json, summary.md and report.html go (default bench/results/<timestamp>)
  --accounts FILE     reuse accounts ({"users":[{"username","password"}]}) instead of registering
  --server-pid PID    with --url: read that process's RSS and CPU
  --server-cmd CMD    spawn this command instead of Parley (args split on spaces; --port/--data are appended)
  --connections N  --room-size K  --senders S  --rates R1,R2,…  --step SECONDS  --idle-connections N
  --duration SECONDS  length of throughput, commit, history and login
  --targets           exit 2 when one of the targets P1–P6 FAILs (default in full runs)
  --no-targets        report the targets without affecting the exit code (default with --quick)
  --no-baseline       skip the raw Bun baseline
  --workers N         fanout's generator as N processes, each owning whole rooms (default: cores − 1, at least 1)
  --pin               pin with taskset: server on core 1, generator on core 0 (default: not pinned)
  --no-pin            do not pin (the default)
  --nodes N           fanout against N nodes of the compiled binary (server/test/cluster.ts): one fresh
                      PostgreSQL database, a Redis bus of their own, HAProxy (deploy/haproxy.cfg) in front;
                      latency split by whether the receiver is on the sender's node; no baseline, no P1–P6
  --store KIND        with --nodes: postgres (default) or libsql (one node, in-process bus: the single binary)
  --direct            with --nodes: connect straight to the nodes (connection i to node i mod N), no HAProxy
  --delivered         fanout: every connection reports delivery as a real client does ({"type":"delivered"},
                      at most once a second per room, the highest seq received); steps count Parley's delivered-mark writes
exit codes: 0 ok, 1 correctness audit failed or error, 2 SLO or enforced target missed, 3 run invalid (generator saturated or stalled)`;

/** Generator processes the machine allows beside one server process: every core but one, at least one. */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(us|µs|ms|s)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration: ${text}`);
  const v = Number(m[1]);
  return m[2] === "s" ? v * 1000 : m[2] === "us" || m[2] === "µs" ? v / 1000 : v;
}

export function parseCount(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km])?$/i.exec(text.trim().replace(/_/g, ""));
  if (!m) throw new Error(`bad number: ${text}`);
  const mult = m[2]?.toLowerCase() === "k" ? 1e3 : m[2]?.toLowerCase() === "m" ? 1e6 : 1;
  return Number(m[1]) * mult;
}

export function parseSlo(text: string): Slo {
  const m = /^p(\d+(?:\.\d+)?)=([^@]+)(?:@(.+))?$/.exec(text.trim());
  if (!m) throw new Error(`bad --slo ${text} (want e.g. p99=30ms@100000)`);
  const percentile = Number(m[1]);
  if (!(percentile > 0 && percentile <= 100)) throw new Error(`bad percentile in --slo ${text}`);
  const slo: Slo = { text, percentile, thresholdMs: parseDuration(m[2]) };
  if (m[3] !== undefined) slo.atDeliveriesPerSec = parseCount(m[3].replace(/\/s$/, ""));
  return slo;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { scenarios: [], quick: false, slos: [], baseline: true, pin: false, store: "postgres", direct: false, delivered: false, serveBaseline: false, fanoutWorker: false, port: 0, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const val = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--url": o.url = val().replace(/\/$/, ""); break;
      case "--scenario":
        for (const s of val().split(",")) {
          if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIOS.join(", ")})`);
          o.scenarios.push(s as ScenarioName);
        }
        break;
      case "--quick": o.quick = true; break;
      case "--slo": o.slos.push(parseSlo(val())); break;
      case "--out": o.out = val(); break;
      case "--accounts": o.accounts = val(); break;
      case "--server-pid": o.serverPid = parseCount(val()); break;
      case "--server-cmd": o.serverCmd = val().split(/\s+/).filter(Boolean); break;
      case "--connections": o.connections = parseCount(val()); break;
      case "--room-size": o.roomSize = parseCount(val()); break;
      case "--senders": o.senders = parseCount(val()); break;
      case "--rates": o.rates = val().split(",").map(parseCount); break;
      case "--step": o.stepSec = Number(val()); break;
      case "--idle-connections": o.idleConnections = parseCount(val()); break;
      case "--duration": o.durationSec = Number(val()); break;
      case "--targets": o.targets = true; break;
      case "--no-targets": o.targets = false; break;
      case "--no-baseline": o.baseline = false; break;
      case "--pin": o.pin = true; break;
      case "--no-pin": o.pin = false; break;
      case "--workers": o.workers = parseCount(val()); break;
      case "--nodes": o.nodes = parseCount(val()); break;
      case "--store": {
        const v = val();
        if (v !== "libsql" && v !== "postgres") throw new Error(`--store takes libsql or postgres, got ${v}`);
        o.store = v;
        break;
      }
      case "--direct": o.direct = true; break;
      case "--delivered": o.delivered = true; break;
      case "--serve-baseline": o.serveBaseline = true; break;
      case "--fanout-worker": o.fanoutWorker = true; break;
      case "--port": o.port = parseCount(val()); break;
      case "-h": case "--help": o.help = true; break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (o.workers !== undefined && !(Number.isInteger(o.workers) && o.workers >= 1)) throw new Error("--workers must be a whole number ≥ 1");
  if (o.nodes !== undefined) {
    if (o.workers !== undefined && o.workers > 1) throw new Error("--nodes places every connection through one process: not with --workers > 1");
    if (!Number.isInteger(o.nodes) || o.nodes < 1) throw new Error(`--nodes must be a whole number ≥ 1`);
    if (o.url) throw new Error("--nodes starts its own servers: not with --url");
    if (o.scenarios.length === 0) o.scenarios = ["fanout"];
    if (o.scenarios.some((s) => s !== "fanout")) throw new Error("--nodes runs the fanout scenario only");
    if (o.store === "libsql" && o.nodes !== 1) throw new Error("--store libsql runs one node");
    o.baseline = false; // the comparison is between topologies, each its own run
  } else if (o.direct || o.store !== "postgres") throw new Error("--store and --direct go with --nodes");
  if (o.scenarios.length === 0) o.scenarios = [...SCENARIOS];
  if (o.delivered && !o.scenarios.includes("fanout")) throw new Error("--delivered goes with the fanout scenario");
  if (o.url) o.baseline = false; // a remote server has no comparable baseline next to it
  return o;
}
