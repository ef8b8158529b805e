// Cluster test kit: our own Redis/NATS processes, a fresh PostgreSQL database, N Parley processes, HAProxy in front.

import { SQL, type Subprocess } from "bun";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haproxyConfig } from "../../deploy/haproxy";
import { buildBinary } from "../build";
import { tempDir } from "./harness";

const PG_ADMIN_URL = process.env.PARLEY_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
const WAIT_MS = 15_000;
/** Kept of each process's output for failure messages: the tail is what explains a crash. */
const OUTPUT_KEEP_CHARS = 64_000;

/** A port nobody listens on right now (the kernel picks it; we release it at once). */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** Polls `ok` until it holds; rejects with `what` after the timeout. */
export async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(ok).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

async function portOpen(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

/** Reads a process's stdout and stderr into one bounded string, so no pipe ever fills and blocks it. */
function collect(proc: Subprocess<"ignore", "pipe", "pipe">, onText?: (all: string) => void): () => string {
  let out = "";
  const dec = new TextDecoder();
  const read = async (s: ReadableStream<Uint8Array>) => {
    const reader = s.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      out += dec.decode(r.value);
      if (out.length > OUTPUT_KEEP_CHARS * 2) out = out.slice(-OUTPUT_KEEP_CHARS);
      onText?.(out);
    }
  };
  void read(proc.stdout).catch(() => undefined);
  void read(proc.stderr).catch(() => undefined);
  return () => out;
}

export interface Proc {
  url: string;
  port: number;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
  /** Start again on the same port (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A broker process of our own, on its own port: a test may kill it without touching the shared one. */
async function broker(scheme: string, cmd: (port: number) => string[]): Promise<Proc> {
  const port = freePort();
  let proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  let output = () => "";
  const start = async () => {
    const p = Bun.spawn(cmd(port), { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    proc = p;
    output = collect(p);
    try {
      await until(`${scheme} on ${port}`, () => p.exitCode === null && portOpen(port));
    } catch (e) {
      throw new Error(`${(e as Error).message} (${cmd(port)[0]} ${p.exitCode === null ? "running" : `exited ${p.exitCode}`}): ${output().slice(-1000)}`);
    }
  };
  const kill = async () => {
    const p = proc;
    proc = undefined;
    if (!p) return;
    p.kill("SIGKILL");
    await p.exited;
  };
  await start();
  return { url: `${scheme}://127.0.0.1:${port}`, port, kill, restart: start, stop: kill };
}

export const startRedis = () => broker("redis", (p) => ["redis-server", "--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
export const startNats = () => broker("nats", (p) => ["nats-server", "-a", "127.0.0.1", "-p", String(p)]);

/** A database of our own on the shared PostgreSQL; dropped by `drop()`. Fails loudly when PostgreSQL is unreachable. */
export async function pgDatabase(prefix = "parley_c_"): Promise<{ url: string; drop(): Promise<void> }> {
  const name = prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  // One connection: Bun.sql opens its whole pool (10 by default) on the first query.
  const admin = new SQL({ url: PG_ADMIN_URL, max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } catch (e) {
    await admin.close();
    throw new Error(`PostgreSQL at ${PG_ADMIN_URL} is needed for this test: ${(e as Error).message}`);
  }
  return {
    url: PG_ADMIN_URL.replace(/\/[^/]*$/, "/" + name),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

let binary: { dir: string; path: Promise<string> } | undefined;
/** dist/parley built once per test process into a temp dir (or the binary PARLEY_TEST_BINARY names): the cluster tests run what ships. */
export function parleyBinary(): Promise<string> {
  // A path given (`make crash-cluster` passes dist/parley): that one, not built again.
  const given = process.env.PARLEY_TEST_BINARY;
  if (given && given !== "1") return Promise.resolve(given);
  if (!binary) {
    const dir = tempDir("parley-cluster-bin-");
    binary = { dir, path: buildBinary(join(dir, "parley")) };
  }
  return binary.path;
}

/** Removes the built binary (~120 MB); the next parleyBinary() builds it again. bun test runs no exit hooks. */
function releaseBinary() {
  if (binary) rmSync(binary.dir, { recursive: true, force: true });
  binary = undefined;
}
let runningClusters = 0;

export interface Node {
  /** Stable across restarts: the node keeps its port (HAProxy's config names it). */
  url: string;
  wsUrl: string;
  port: number;
  /** The running process's id; changes when the node is restarted. */
  pid(): number;
  /** The process has not exited. */
  alive(): boolean;
  /** Its stdout and stderr (the tail). */
  output(): string;
  /** SIGKILL: a crash. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same settings and data directory. */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after a while); resolves once it is gone. */
  stop(): Promise<void>;
}

/** Settings every node of a test cluster shares (cheap hashing keeps the suite fast). */
export function nodeArgs(opts: { db: string; bus: string; jwtSecret?: string; extra?: string[] }): string[] {
  return [
    "--host", "127.0.0.1", "--port", "0", "--db", opts.db, "--bus", opts.bus, ...(opts.jwtSecret ? ["--jwt-secret", opts.jwtSecret] : []),
    "--hash-memory", "4096", "--hash-time", "1", "--registration", "open", "--register-limit", "100000", "--http-burst", "100000", "--http-rate", "100000",
    // "info": the node announces its URL with the "listening" line.
    "--trust-proxy", "127.0.0.1", "--log-level", "info", ...(opts.extra ?? []),
  ];
}

const NODE_START_MS = 30_000;

/** The compiled binary with `args` (later flags win over earlier ones), in a directory of its own. */
export async function startNode(args: string[]): Promise<Node> {
  const bin = await parleyBinary();
  const dataDir = tempDir("parley-node-");
  let proc!: Subprocess<"ignore", "pipe", "pipe">;
  let output = () => "";
  let port = 0;
  const spawn = async (extra: string[]) => {
    const p = Bun.spawn([bin, ...args, "--data", dataDir, ...extra], { cwd: dataDir, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, PARLEY_BUS_URL: "", DATABASE_URL: "" } });
    proc = p;
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`parley did not start in ${NODE_START_MS} ms: ${output().slice(-2000)}`)), NODE_START_MS);
      output = collect(p, (all) => {
        const m = /"msg":"listening","url":"([^"]+)"/.exec(all);
        if (m) (clearTimeout(t), resolve(m[1]));
      });
      void p.exited.then((code) => (clearTimeout(t), reject(new Error(`parley exited with ${code} at start: ${output().slice(-2000)}`))));
    });
    port = Number(new URL(url).port);
  };
  await spawn([]);
  const url = `http://127.0.0.1:${port}`;
  const kill = async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  };
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    port,
    pid: () => proc.pid,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    output: () => output(),
    kill,
    // The same port: HAProxy's server line names it. Listening sockets reuse the address at once.
    restart: () => spawn(["--port", String(port)]),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(t);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ServerStat {
  name: string;
  /** HAProxy's status: "UP", "DOWN", "UP 1/2" (going down), "DOWN 1/2" (coming up), … */
  status: string;
  /** The last health check's result, e.g. "L7OK", "L4CON"; and the HTTP status it got. */
  checkStatus: string;
  checkCode: string;
  /** Connections open through it now (scur): WebSockets included. */
  sessions: number;
}

export interface Balancer {
  url: string;
  wsUrl: string;
  port: number;
  stop(): Promise<void>;
  /** Our backend's servers as HAProxy's stats socket shows them. */
  servers(): Promise<ServerStat[]>;
  /** Waits until HAProxy routes to exactly this many backends (status UP, including "UP 1/2"). */
  waitUp(count: number, timeoutMs?: number): Promise<void>;
  output(): string;
}

/** One command on HAProxy's stats socket; it answers and closes. */
function statsCommand(sock: string, command: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    Bun.connect({
      unix: sock,
      socket: { open: (s) => void s.write(command + "\n"), data: (_s, d) => void (out += d.toString()), close: () => resolve(out), error: (_s, e) => reject(e), connectError: (_s, e) => reject(e) },
    }).catch(reject);
  });
}

/**
 * HAProxy with the repository's deploy/haproxy.cfg, only the addresses rewritten (plus a stats
 * socket); `checkUri` swaps the health check's path (the file checks /readyz).
 */
export async function startBalancer(nodes: { port: number }[], opts: { checkUri?: string } = {}): Promise<Balancer> {
  const port = freePort();
  const dir = tempDir("parley-haproxy-");
  const sock = join(dir, "stats.sock");
  const cfg = join(dir, "haproxy.cfg");
  let text = haproxyConfig(nodes.map((n) => ({ host: "127.0.0.1", port: n.port })), port, "127.0.0.1").replace(/^global\b.*$/m, (g) => `${g}\n    stats socket ${sock} level admin`);
  if (opts.checkUri) {
    const before = text;
    text = text.replace(/(http-check send meth GET uri )\S+/, `$1${opts.checkUri}`);
    if (text === before) throw new Error("startBalancer: no `http-check send meth GET uri …` line in deploy/haproxy.cfg");
  }
  writeFileSync(cfg, text);
  const proc = Bun.spawn(["haproxy", "-db", "-f", cfg], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const output = collect(proc);
  try {
    await until(`haproxy on ${port}`, async () => proc.exitCode === null && (await portOpen(port)) && (await statsCommand(sock, "show info")).includes("Name"));
  } catch (e) {
    proc.kill("SIGKILL");
    throw new Error(`${(e as Error).message}: ${output().slice(-2000)}`);
  }
  const servers = async (): Promise<ServerStat[]> => {
    const lines = (await statsCommand(sock, "show stat")).split("\n").filter((l) => l.trim() !== "");
    const head = lines[0].replace(/^#\s*/, "").split(",");
    const col = (name: string) => head.indexOf(name);
    return lines
      .slice(1)
      .map((l) => l.split(","))
      .filter((f) => f[col("pxname")] === "parley" && f[col("svname")] !== "BACKEND" && f[col("svname")] !== "FRONTEND")
      .map((f) => ({ name: f[col("svname")], status: f[col("status")], checkStatus: f[col("check_status")], checkCode: f[col("check_code")], sessions: Number(f[col("scur")]) }));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    port,
    servers,
    output,
    async stop() {
      proc.kill("SIGKILL");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
    async waitUp(count, timeoutMs = 30_000) {
      let last: ServerStat[] = [];
      try {
        await until(`${count} backends up in haproxy`, async () => (last = await servers()).filter((s) => s.status.startsWith("UP")).length === count, timeoutMs);
      } catch (e) {
        throw new Error(`${(e as Error).message}; servers: ${JSON.stringify(last)}`);
      }
    },
  };
}

export type BusKind = "redis" | "nats";

export interface Cluster {
  nodes: Node[];
  lb: Balancer;
  /** The cluster's own bus broker: kill and restart it freely. */
  broker: Proc;
  dbUrl: string;
  /** Stops HAProxy and the nodes, then the broker, then drops the database (the nodes' pools are gone by then). */
  stop(): Promise<void>;
}

/**
 * `size` nodes of the compiled binary on one fresh PostgreSQL database and one broker of the
 * cluster's own, HAProxy in front with every node up. `extra` flags go to every node. Without
 * `jwtSecret` the nodes agree on a signing key through the store, as a cluster does by default.
 */
export async function startCluster(opts: { bus: BusKind; size?: number; extra?: string[]; jwtSecret?: string }): Promise<Cluster> {
  const size = opts.size ?? 3;
  runningClusters++;
  const started = await Promise.allSettled([pgDatabase(), opts.bus === "redis" ? startRedis() : startNats()] as const);
  const db = started[0].status === "fulfilled" ? started[0].value : undefined;
  const broker = started[1].status === "fulfilled" ? started[1].value : undefined;
  const nodes: Node[] = [];
  let lb: Balancer | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await lb?.stop();
      await Promise.all(nodes.map((n) => n.stop()));
      await broker?.stop();
      await db?.drop();
    } finally {
      if (--runningClusters === 0) releaseBinary();
    }
  };
  try {
    for (const s of started) if (s.status === "rejected") throw s.reason;
    // Small pools: Bun.sql opens every connection of a pool at once, and this PostgreSQL is shared.
    const dbUrl = db!.url + "?max=4";
    const args = nodeArgs({ db: dbUrl, bus: broker!.url, jwtSecret: opts.jwtSecret, extra: opts.extra });
    // The first node alone: it applies the migrations, which the others would only wait for.
    nodes.push(await startNode(args));
    const rest = await Promise.allSettled(Array.from({ length: size - 1 }, async () => nodes.push(await startNode(args))));
    for (const r of rest) if (r.status === "rejected") throw r.reason;
    lb = await startBalancer(nodes);
    await lb.waitUp(size);
    return { nodes, lb, broker: broker!, dbUrl, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}
