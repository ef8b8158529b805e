// Cluster test kit: our own Redis/NATS processes, a fresh PostgreSQL database, N Parley processes, HAProxy in front.

import { SQL } from "bun";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { haproxyConfig } from "../../deploy/haproxy";
import { buildBinary } from "../build";
import { spawnServer, tempDir } from "./harness";

const PG_ADMIN_URL = process.env.PARLEY_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";
const WAIT_MS = 15_000;

/** A port nobody listens on right now (the kernel picks it; we release it at once). */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = WAIT_MS): Promise<void> {
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
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  const start = async () => {
    proc = Bun.spawn(cmd(port), { stdout: "ignore", stderr: "ignore" });
    await until(`${scheme} on ${port}`, () => portOpen(port));
  };
  const kill = async () => {
    proc?.kill("SIGKILL");
    await proc?.exited;
    proc = undefined;
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

let binary: Promise<string> | undefined;
/** dist/parley built once per test process into a temp dir: the cluster tests run what ships. */
export function parleyBinary(): Promise<string> {
  binary ??= buildBinary(join(tempDir("parley-cluster-bin-"), "parley"));
  return binary;
}

export interface Node {
  url: string;
  port: number;
  proc: ReturnType<typeof Bun.spawn>;
  output(): string;
}

/** Settings every node of a test cluster shares (cheap hashing keeps the suite fast). */
export function nodeArgs(opts: { db: string; bus: string; jwtSecret: string; extra?: string[] }): string[] {
  return [
    "--host", "127.0.0.1", "--port", "0", "--db", opts.db, "--bus", opts.bus, "--jwt-secret", opts.jwtSecret,
    "--hash-memory", "4096", "--hash-time", "1", "--register-limit", "100000", "--http-burst", "100000", "--http-rate", "100000",
    "--trust-proxy", "127.0.0.1", "--log-level", "warn", ...(opts.extra ?? []),
  ];
}

export async function startNode(args: string[]): Promise<Node> {
  const bin = await parleyBinary();
  const s = await spawnServer([bin, ...args, "--data", tempDir("parley-node-")], {}, tempDir("parley-node-cwd-"));
  return { url: s.url, port: Number(new URL(s.url).port), proc: s.proc, output: s.output };
}

export interface Balancer {
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
  /** Waits until HAProxy's health checks see exactly these backends up. */
  waitUp(count: number): Promise<void>;
}

/** HAProxy with the repository's deploy/haproxy.cfg, only the addresses rewritten; its stats socket tells who is up. */
export async function startBalancer(nodes: { port: number }[]): Promise<Balancer> {
  const port = freePort();
  const dir = tempDir("parley-haproxy-");
  const sock = join(dir, "stats.sock");
  const cfg = join(dir, "haproxy.cfg");
  const text = haproxyConfig(nodes.map((n) => ({ host: "127.0.0.1", port: n.port })), port).replace(/^global\b.*$/m, (g) => `${g}\n    stats socket ${sock} level admin`);
  writeFileSync(cfg, text);
  const proc = Bun.spawn(["haproxy", "-db", "-f", cfg], { stdout: "pipe", stderr: "pipe" });
  await until(`haproxy on ${port}`, () => portOpen(port));
  const upCount = async () => {
    const csv = await new Promise<string>((resolve, reject) => {
      let out = "";
      Bun.connect({ unix: sock, socket: { open: (s) => void s.write("show stat\n"), data: (_s, d) => void (out += d.toString()), close: () => resolve(out), error: (_s, e) => reject(e) } }).catch(reject);
    });
    return csv.split("\n").filter((l) => /,UP/.test(l) && !l.includes("BACKEND") && !l.includes("FRONTEND")).length;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async stop() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
    waitUp: (count) => until(`${count} backends up in haproxy`, async () => (await upCount()) === count, 30_000),
  };
}
