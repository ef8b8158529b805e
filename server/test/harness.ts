// Test harness: the real app on port 0 with a fresh database file, and small real-socket clients.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { defaultConfig, SETTINGS, type Config } from "../config";
import { createContext, type Context } from "../context";
import type { Clock } from "../ports/runtime";
import { listen } from "../serve";
import type { RoomEvent, ServerFrame, User } from "../protocol/types";

export interface TestServer {
  ctx: Context;
  url: string;
  wsUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export function tempDir(prefix = "parley-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Cheap hashing, no registration cap and open registration (suites register many users; the team
 * tests turn invite mode back on) so suites stay fast; no link previews (a test never reaches out to
 * the internet; the previews tests turn them on); everything else is the real default.
 */
export const TEST_CONFIG: Partial<Config> = {
  previews: "off", registration: "open", port: 0, host: "127.0.0.1", logLevel: "error", hashMemoryKiB: 4096, hashTimeCost: 1, registerPerIpPer10Min: 100_000, httpBurst: 100_000, httpRatePerSec: 100_000,
};

/**
 * `clock` lets a test move time (token expiry, mutes, slow mode, away). With PARLEY_TEST_BINARY set
 * (`1`: built once per process, as the cluster tests do; or the path of a built binary) the server is
 * the compiled binary in a child process instead, so a suite that speaks only HTTP/WebSocket checks
 * what ships (`make test` runs a chosen set of them so); `ctx` and `clock` do not exist there.
 */
export async function startServer(opts: { dataDir?: string; config?: Partial<Config>; clock?: Clock } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDir();
  if (process.env.PARLEY_TEST_BINARY) return startBinary(dataDir, opts);
  const ctx = await createContext(defaultConfig({ ...TEST_CONFIG, dataDir, ...opts.config }), opts.clock ? { clock: opts.clock } : {});
  const r = listen(ctx);
  return { ctx, url: r.url, wsUrl: r.url.replace("http", "ws") + "/ws", dataDir, stop: r.stop };
}

/** The command that runs the server in a child process: the binary under test (PARLEY_TEST_BINARY), else the source. */
/** Runs a `parley` command from source (server/main.ts) with the environment's store and data settings blanked. */
export function runParley(...args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, join(import.meta.dir, "..", "main.ts"), ...args], { env: { ...process.env, DATABASE_URL: "", PARLEY_DATA_DIR: "" } });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

export async function serverCommand(): Promise<string[]> {
  const which = process.env.PARLEY_TEST_BINARY;
  if (!which) return [process.execPath, join(import.meta.dir, "..", "main.ts")];
  return [which === "1" ? await (await import("./cluster")).parleyBinary() : which];
}

async function startBinary(dataDir: string, opts: { config?: Partial<Config>; clock?: Clock }): Promise<TestServer> {
  if (opts.clock) throw new Error("a test that moves the clock cannot run against the binary (PARLEY_TEST_BINARY)");
  // Every setting as its flag; "info" so the binary announces its URL. The environment's settings are blanked.
  const args: string[] = [];
  for (const [key, v] of Object.entries({ ...TEST_CONFIG, logLevel: "info", ...opts.config, dataDir })) {
    const s = SETTINGS.find((x) => x.key === key);
    if (!s) throw new Error(`config.${key} has no flag: the binary cannot be given it`);
    args.push(...(s.kind === "bool" ? [`${s.flag}=${v}`] : [s.flag, Array.isArray(v) ? v.join(",") : String(v)]));
  }
  const env = Object.fromEntries(SETTINGS.map((s) => [s.env, ""]));
  const child = await spawnServer([...(await serverCommand()), ...args], env, dirname(dataDir)); // the server makes dataDir
  const ctx = new Proxy({} as Context, {
    get: () => {
      throw new Error("ctx is not available when testing the compiled binary (PARLEY_TEST_BINARY): keep this suite out of the Makefile's binary list");
    },
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      child.proc.kill("SIGTERM");
      if ((await child.proc.exited) !== 0) throw new Error(`the binary did not stop cleanly (${child.proc.exitCode}): ${child.output().slice(-2000)}`);
    })());
  return { ctx, url: child.url, wsUrl: child.wsUrl, dataDir, stop };
}

export interface Session {
  user: User;
  accessToken: string;
  refreshToken: string;
}

let counter = 0;
export function uniqueName(prefix = "user"): string {
  return `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`.slice(0, 32);
}

export async function api<T = any>(base: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export async function register(base: string, name = uniqueName(), password = "correct horse battery"): Promise<Session> {
  const r = await api<Session>(base, "POST", "/api/auth/register", { username: name, password });
  if (r.status !== 201) throw new Error(`register ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function createRoom(base: string, s: Session, kind: "public" | "private" = "public", name = "room"): Promise<string> {
  const r = await api(base, "POST", "/api/rooms", { name, kind }, s.accessToken);
  if (r.status !== 201) throw new Error(`create room: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.room.id;
}

const WAIT_MS = 10_000;

/** A real WebSocket client that records every frame and lets a test await the next matching one. */
export class Client {
  readonly frames: any[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { pred: (f: any) => boolean; resolve: (f: any) => void; from: number }[] = [];
  private nextId = 0;

  constructor(url: string, headers?: Record<string, string>) {
    this.ws = new WebSocket(url, headers ? ({ headers } as never) : undefined);
    this.opened = new Promise((res, rej) => {
      this.ws.onopen = () => res();
      this.ws.onerror = () => rej(new Error("websocket error"));
    });
    this.closed = new Promise((res) => (this.ws.onclose = (e) => res({ code: e.code, reason: e.reason })));
    this.ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data));
      this.frames.push(f);
      const idx = this.frames.length - 1;
      this.waiters = this.waiters.filter((w) => (idx >= w.from && w.pred(f) ? (w.resolve(f), false) : true));
    };
  }

  static async connect(server: { wsUrl: string }, s: Session, since?: Record<string, number>): Promise<Client> {
    const c = new Client(server.wsUrl);
    await c.opened;
    c.send({ type: "hello", token: s.accessToken, ...(since ? { since } : {}) });
    await c.next((f) => f.type === "welcome");
    return c;
  }

  send(frame: object | string) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits for a frame matching pred, counting frames already received from index `from` on. */
  next(pred: (f: any) => boolean, opts: { from?: number; timeoutMs?: number } = {}): Promise<any> {
    const from = opts.from ?? 0;
    const have = this.frames.findIndex((f, i) => i >= from && pred(f));
    if (have >= 0) return Promise.resolve(this.frames[have]);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for a frame; last: ${JSON.stringify(this.frames.slice(-3))}`)), opts.timeoutMs ?? WAIT_MS);
      this.waiters.push({ pred, from, resolve: (f) => (clearTimeout(t), resolve(f)) });
    });
  }

  /** Sends a frame with a fresh id and resolves with its ok or error reply. */
  request(frame: Record<string, unknown>): Promise<any> {
    const id = `r${++this.nextId}`;
    const from = this.frames.length;
    this.send({ ...frame, id });
    return this.next((f) => f.id === id && (f.type === "ok" || f.type === "error" || f.type === "pong"), { from });
  }

  /** Room events received so far for a room, in arrival order. */
  events(room: string): RoomEvent[] {
    return this.frames.filter((f: ServerFrame) => f.type === "event" && f.event.room === room).map((f) => f.event);
  }

  async waitEvents(room: string, n: number, kind?: string): Promise<RoomEvent[]> {
    const match = () => this.events(room).filter((e) => !kind || e.kind === kind);
    const deadline = Date.now() + WAIT_MS;
    while (match().length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} events in ${room}, have ${match().length}`);
      await this.next((f) => f.type === "event", { from: this.frames.length, timeoutMs: Math.max(1, deadline - Date.now()) }).catch(() => undefined);
    }
    return match();
  }

  close() {
    this.ws.close();
  }
}

/** Runs `bun server/main.ts` (or a compiled binary) as a child process and waits for "listening". */
export async function spawnServer(cmd: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ proc: ReturnType<typeof Bun.spawn>; url: string; wsUrl: string; output: () => string }> {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "inherit", env: { ...process.env, ...env } });
  let out = "";
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("server did not start: " + out)), 20_000);
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return reject(new Error("server exited: " + out));
        out += dec.decode(value);
        const m = out.match(/"msg":"listening","url":"([^"]+)"/);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
          break;
        }
      }
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        out += dec.decode(value);
      }
    })();
  });
  return { proc, url, wsUrl: url.replace("http", "ws") + "/ws", output: () => out };
}
