// Server processes under test: spawns Parley or the baseline (pinned to a core), finds its URL, reads its RSS/CPU, kills and restarts it.
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { ClusterInfo } from "./cluster";

/** "cluster": one or more compiled nodes started with the cluster kit (--nodes, bench/lib/cluster.ts). */
export type TargetKind = "parley" | "baseline" | "external" | "cluster";

export interface Target {
  kind: TargetKind;
  url: string;
  /** Process id when known (spawned, or --server-pid). */
  pid?: number;
  /** True when the target keeps data across restarts (storage audit applies). */
  durable: boolean;
  /** Whether kill()/restart() are possible (only for processes we spawned). */
  restartable: boolean;
  kill(): Promise<void>;
  /** Starts the same command again on the same port and data dir; resolves once it listens. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Set when the server was started with provisioning-only arguments (cheap password hashing):
   * stops it gracefully and starts it again, same port and data, as measured.
   */
  provisioned?(): Promise<void>;
  /** Set for --nodes: placement-aware connecting and the CPU of every server-side process. */
  cluster?: ClusterInfo;
}

/**
 * Parley hashes passwords with argon2id (19 MiB in bench mode, ~30 ms of its core each), which
 * would make registering 10,000 accounts take minutes. Provisioning runs with the cheapest
 * hash the server accepts; the server is then restarted as measured, and the login scenario
 * registers its own accounts at the measured cost.
 */
export const PROVISION_ARGS = ["--hash-memory", "1024", "--hash-time", "1"];

const BENCH_DIR = resolve(import.meta.dir, "..");
const REPO_DIR = resolve(BENCH_DIR, "..");

/** Inside a `bun build --compile` binary, sources live under /$bunfs and the binary itself is the server. */
export function isCompiled(): boolean {
  return import.meta.path.includes("$bunfs") || Bun.main.includes("$bunfs");
}

/** Pinning needs taskset and two usable cores: server on core 1, generator on core 0. */
export function canPin(): boolean {
  return Bun.which("taskset") !== null && availableParallelism() >= 2;
}

/** Moves every thread of this process onto core 0. */
export function pinSelf(): boolean {
  const r = Bun.spawnSync(["taskset", "-a", "-cp", "0", String(process.pid)], { stdout: "ignore", stderr: "ignore" });
  return r.exitCode === 0;
}

export function parleyCommand(dataDir: string, override?: string[]): string[] {
  // Access tokens must outlive a full run (default 15 min): the accounts are provisioned once, at the start.
  const args = ["--host", "127.0.0.1", "--data", dataDir, "--bench-mode", "--access-ttl", "86400", "--registration", "open"];
  if (override) return [...override, ...args];
  return isCompiled() ? [process.execPath, ...args] : [process.execPath, join(REPO_DIR, "server/main.ts"), ...args];
}

export function baselineCommand(): string[] {
  // The compiled binary routes `bench` to our CLI, whose hidden --serve-baseline runs the relay.
  return isCompiled() ? [process.execPath, "bench", "--serve-baseline"] : [process.execPath, join(BENCH_DIR, "baseline.ts")];
}

/** VmRSS of a process in KiB, or undefined when /proc is unavailable. */
export function rssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Soft open-file limit of a process (default: this one), or undefined when /proc is unavailable. */
export function fdLimit(pid?: number): number | undefined {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(require("node:fs").readFileSync(`/proc/${pid ?? "self"}/limits`, "utf8"));
    return m ? (m[1] === "unlimited" ? Infinity : Number(m[1])) : undefined;
  } catch {
    return undefined;
  }
}

/** utime+stime of a process in seconds (for its CPU share over a step). */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat: string = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // fields 14, 15 (1-based) after pid and comm; USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * The whole machine's CPU time in seconds, from the first line of /proc/stat: `busy` (user, nice, system,
 * irq, softirq: every process and the kernel) and `steal` (time the hypervisor gave to other guests).
 * Busy time beyond the generator's and the server's is other work on the machine, which shows up in the tails.
 */
export function machineCpu(): { busy: number; steal: number } | undefined {
  try {
    const f = require("node:fs").readFileSync("/proc/stat", "utf8").split("\n")[0].split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return { busy: (user + nice + system + irq + softirq) / 100, steal: (steal ?? 0) / 100 };
  } catch {
    return undefined;
  }
}

/** Copies a server's output into its log file until the stream ends. */
async function pump(reader: ReadableStreamDefaultReader<Uint8Array>, log: Bun.FileSink): Promise<void> {
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      log.write(r.value);
    }
  } catch {
    /* the process died or the log closed: nothing left to copy */
  }
}

/** Reads stdout lines until the JSON log line with "msg":"listening"; keeps draining afterwards so the server never blocks on a full pipe. */
async function awaitListening(proc: Bun.Subprocess<"ignore", "pipe", "pipe">, log: Bun.FileSink, timeoutMs: number): Promise<string> {
  const reader = proc.stdout.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const timer = setTimeout(() => proc.kill(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`server exited (code ${await proc.exited}) before listening`);
      const text = dec.decode(value, { stream: true });
      log.write(text);
      buf += text;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.includes("listening")) continue;
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === "listening" && j.url) {
            void pump(reader, log);
            return j.url.replace(/\/$/, "");
          }
        } catch {
          /* not JSON: keep looking */
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

export interface SpawnOptions {
  kind: "parley" | "baseline";
  cmd: string[];
  /** Core to pin the server to, or undefined for no pinning. */
  cpu?: number;
  logPath: string;
  env?: Record<string, string>;
  /** Extra arguments for the first start only (see PROVISION_ARGS); `provisioned()` restarts without them. */
  provisionArgs?: string[];
}

/** Spawns a server and waits until it listens. Port 0 first; restarts reuse the port it got. */
export async function spawnTarget(o: SpawnOptions): Promise<Target> {
  const log = Bun.file(o.logPath).writer();
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  let port = "0";
  let extra = o.provisionArgs ?? [];
  const start = async () => {
    const cmd = [...o.cmd, ...extra, "--port", port];
    proc = Bun.spawn(o.cpu === undefined ? cmd : ["taskset", "-c", String(o.cpu), ...cmd], {
      cwd: REPO_DIR,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...o.env },
    });
    void pump(proc.stderr.getReader(), log);
    const url = await awaitListening(proc, log, 30_000);
    port = new URL(url).port;
    target.pid = proc.pid;
    return url;
  };
  const target: Target = {
    kind: o.kind,
    url: "",
    durable: o.kind === "parley",
    restartable: true,
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
    async restart() {
      target.url = await start();
    },
    async stop() {
      await terminate();
      await log.end();
    },
  };
  const terminate = async () => {
    proc.kill("SIGTERM");
    const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
    if (!done) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  };
  if (extra.length) {
    target.provisioned = async () => {
      await terminate();
      extra = [];
      target.url = await start();
    };
  }
  target.url = await start();
  return target;
}

/** A server someone else runs: no restarts, RSS only if its pid was given. */
export function externalTarget(url: string, pid?: number): Target {
  const no = async () => {
    throw new Error("cannot restart an external server");
  };
  return { kind: "external", url, pid, durable: true, restartable: false, kill: no, restart: no, stop: async () => {} };
}
