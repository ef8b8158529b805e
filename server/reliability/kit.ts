// Kit for the reliability runs (docs/reliability.md): a server process we may SIGKILL and start
// again on the same port and data, and chat clients that reconnect, resend what was not acked
// with the same clientMsgId, and resume by seq. The short tests and the long `make` targets
// (server/reliability/run.ts) share it.

import type { Subprocess } from "bun";
import Database from "libsql";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { freePort, until } from "../test/cluster";
import { api, register, serverCommand, tempDir, type Session } from "../test/harness";

/** Settings of every reliability server: cheap hashing and no write limits (the runs offer ~1,000 msgs/s from 20 users). */
export const RUN_ARGS = [
  "--host", "127.0.0.1", "--hash-memory", "4096", "--hash-time", "1", "--registration", "open", "--register-limit", "100000",
  "--http-burst", "100000", "--http-rate", "100000", "--write-burst", "100000", "--write-rate", "100000", "--log-level", "info",
];

export interface ServerProc {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  pid(): number;
  /** Everything the current process printed (stdout and stderr). */
  output(): string;
  /** Resident set size of the current process in KiB (from /proc). */
  rssKiB(): number;
  kill(): Promise<void>;
  /** Starts again on the same port and data directory; resolves at "listening". */
  start(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number>;
  /** SIGKILL if still running, and remove the data directory. */
  dispose(): Promise<void>;
}

/**
 * Spawns the server on a port of its own (kept across restarts) with `args` after RUN_ARGS: the
 * source, or the compiled binary with PARLEY_TEST_BINARY (the `make` targets pass dist/parley).
 */
export async function serverProc(opts: { args?: string[]; env?: Record<string, string>; dataDir?: string } = {}): Promise<ServerProc> {
  const cmd = await serverCommand();
  const port = freePort();
  const dataDir = opts.dataDir ?? join(tempDir("parley-rel-"), "data");
  let proc!: Subprocess<"ignore", "pipe", "pipe">;
  let out = "";
  const start = async () => {
    out = "";
    const p = Bun.spawn([...cmd, ...RUN_ARGS, "--port", String(port), "--data", dataDir, ...(opts.args ?? [])], {
      stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, PARLEY_BUS_URL: "", DATABASE_URL: "", ...opts.env },
    });
    proc = p;
    const dec = new TextDecoder();
    const pump = async (s: ReadableStream<Uint8Array>) => {
      const r = s.getReader();
      for (let x = await r.read(); !x.done; x = await r.read()) {
        out += dec.decode(x.value);
        if (out.length > 4_000_000) out = out.slice(-1_000_000);
      }
    };
    void pump(p.stdout).catch(() => undefined);
    void pump(p.stderr).catch(() => undefined);
    await until("the server listening", () => {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`server exited: ${out.slice(-2000)}`);
      return out.includes('"msg":"listening"');
    }, 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}: ${out.slice(-2000)}`);
    });
  };
  await start();
  return {
    url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, port, dataDir,
    pid: () => proc.pid,
    output: () => out,
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"))?.[1] ?? 0),
    async kill() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
    start,
    async stop() {
      proc.kill("SIGTERM");
      return await proc.exited;
    },
    async dispose() {
      proc.kill("SIGKILL");
      await proc.exited;
      if (!opts.dataDir) rmSync(dirname(dataDir), { recursive: true, force: true });
    },
  };
}

/** `n` users, each a member of `room`s created by the first. */
export async function users(url: string, n: number, rooms: number): Promise<{ sessions: Session[]; rooms: string[] }> {
  const sessions: Session[] = [];
  for (let i = 0; i < n; i++) sessions.push(await register(url));
  const ids: string[] = [];
  for (let r = 0; r < rooms; r++) {
    const res = await api(url, "POST", "/api/rooms", { name: `rel ${r}`, kind: "public" }, sessions[0].accessToken);
    if (res.status !== 201) throw new Error(`create room: ${res.status}`);
    ids.push(res.body.room.id);
  }
  for (const s of sessions.slice(1)) for (const room of ids) {
    const res = await api(url, "POST", `/api/rooms/${room}/join`, undefined, s.accessToken);
    if (res.status !== 200) throw new Error(`join: ${res.status}`);
  }
  return { sessions, rooms: ids };
}

export interface ClientOpts {
  /** Reconnect delay: `base * 2^attempt` capped at `cap`, times a random factor in [0.5, 1.5). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Do not read: the socket is paused as soon as it is authenticated (a slow consumer). */
  onEvent?: (room: string, seq: number, e: any) => void;
}

/**
 * A chat client that reconnects with jittered backoff and resumes by seq (`since` = the last seq
 * it saw per room). Events are checked as they come: each room's seqs must rise by exactly one.
 */
export class ChatClient {
  ws?: WebSocket;
  /** Highest seq seen per room: the `since` of the next hello. */
  readonly last = new Map<string, number>();
  /** Every welcome's time (performance.now()). */
  readonly welcomes: number[] = [];
  readonly closes: number[] = [];
  /** Events that were not last+1 for their room: duplicates, reorders and holes. */
  readonly disorder: string[] = [];
  readonly gaps: string[] = [];
  events = 0;
  connected = false;
  private stopped = false;
  private attempt = 0;
  private frameHandlers: ((f: any) => void)[] = [];
  private onWelcome: (() => void)[] = [];

  constructor(private wsUrl: string, readonly session: Session, private opts: ClientOpts = {}) {}

  /** Seeds `last` (rooms the user is in, from the room list), so a first hello already resumes. */
  follow(rooms: Record<string, number>) {
    for (const [r, s] of Object.entries(rooms)) this.last.set(r, s);
  }

  /** Calls `h` with every frame from now on; returns what stops it. */
  onFrame(h: (f: any) => void): () => void {
    this.frameHandlers.push(h);
    return () => (this.frameHandlers = this.frameHandlers.filter((x) => x !== h));
  }

  whenWelcome(h: () => void) {
    this.onWelcome.push(h);
  }

  start() {
    this.stopped = false;
    this.open();
  }

  private open() {
    if (this.stopped) return;
    const ws = new WebSocket(this.wsUrl);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token: this.session.accessToken, since: Object.fromEntries(this.last) }));
    ws.onmessage = (m) => {
      const f = JSON.parse(String(m.data));
      if (f.type === "welcome") {
        this.connected = true;
        this.attempt = 0;
        this.welcomes.push(performance.now());
        for (const h of this.onWelcome) h();
      } else if (f.type === "event") {
        const e = f.event;
        const prev = this.last.get(e.room);
        if (prev !== undefined && e.seq !== prev + 1) this.disorder.push(`${e.room}: ${prev} then ${e.seq}`);
        if (prev === undefined || e.seq > prev) this.last.set(e.room, e.seq);
        this.events++;
        this.opts.onEvent?.(e.room, e.seq, e);
      } else if (f.type === "gap") {
        this.gaps.push(`${f.room} ${f.fromSeq}..${f.toSeq}`);
      }
      for (const h of this.frameHandlers) h(f);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.connected = false;
      this.closes.push(ev.code);
      if (this.stopped) return;
      const base = this.opts.backoffBaseMs ?? 50;
      const delay = Math.min(this.opts.backoffCapMs ?? 1_000, base * 2 ** this.attempt++) * (0.5 + Math.random());
      setTimeout(() => this.open(), delay);
    };
  }

  send(frame: object): boolean {
    if (!this.connected || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  stop() {
    this.stopped = true;
    this.connected = false;
    this.ws?.close();
  }
}

/**
 * A sender: one message every `intervalMs` into its room while connected; every message not yet
 * acked is sent again, with the same clientMsgId, after each welcome (and after an error frame).
 */
export class Sender {
  /** clientMsgId → its body, until acked. */
  readonly pending = new Map<string, string>();
  /** clientMsgId → the seq its ok carried. */
  readonly acked = new Map<string, number>();
  readonly errors: Record<string, number> = {};
  /** An ok whose seq differs from an earlier ok for the same clientMsgId. */
  readonly ackMismatch: string[] = [];
  /** Sends of a clientMsgId after its first (after a reconnect or an error). */
  resent = 0;
  private n = 0;
  private timer?: ReturnType<typeof setInterval>;

  constructor(readonly client: ChatClient, readonly room: string, readonly tag: string, private bodyOf: (cmid: string) => string = (cmid) => `m ${cmid}`) {
    client.whenWelcome(() => this.resend());
    client.onFrame((f) => {
      if (f.type === "ok" && typeof f.id === "string" && this.pending.has(f.id)) {
        const seq = f.event?.seq as number;
        const had = this.acked.get(f.id);
        if (had !== undefined && had !== seq) this.ackMismatch.push(`${f.id}: ${had} then ${seq}`);
        this.acked.set(f.id, seq);
        this.pending.delete(f.id);
      } else if (f.type === "ok" && typeof f.id === "string" && this.acked.has(f.id) && f.event?.seq !== this.acked.get(f.id)) {
        this.ackMismatch.push(`${f.id}: ${this.acked.get(f.id)} then ${f.event?.seq}`);
      } else if (f.type === "error" && typeof f.id === "string" && this.pending.has(f.id)) {
        this.errors[f.code] = (this.errors[f.code] ?? 0) + 1;
        const id = f.id;
        setTimeout(() => (this.resent++, this.sendOne(id)), 100);
      }
    });
  }

  private sendOne(cmid: string) {
    const body = this.pending.get(cmid);
    if (body !== undefined) this.client.send({ type: "send", id: cmid, room: this.room, clientMsgId: cmid, body });
  }

  private resend() {
    for (const cmid of this.pending.keys()) this.resent++, this.sendOne(cmid);
  }

  /** Starts offering one new message per `intervalMs` (only while connected: a real client would queue, this one waits). */
  run(intervalMs: number) {
    this.timer = setInterval(() => {
      if (!this.client.connected) return;
      const cmid = `${this.tag}-${this.n++}`;
      this.pending.set(cmid, this.bodyOf(cmid));
      this.sendOne(cmid);
    }, intervalMs);
  }

  pause() {
    clearInterval(this.timer);
  }

  get sent() {
    return this.n;
  }
}

/** Every stored event of `rooms` (seq order), read from the database file with the server stopped or killed. */
export function storedEvents(dataDir: string, rooms: string[]): Map<string, { seq: number; kind: string; clientMsgId: string | null; body: string | null }[]> {
  const db = new Database(join(dataDir, "parley.db"));
  try {
    const q = db.prepare("SELECT seq, kind, client_msg_id AS clientMsgId, body FROM events WHERE room_id = ? ORDER BY seq");
    return new Map(rooms.map((r) => [r, q.all(r) as never]));
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` on the database file (the server stopped or killed): "ok" or the problems. */
export function integrity(dataDir: string): string {
  const db = new Database(join(dataDir, "parley.db"));
  try {
    return (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) => r.integrity_check).join("; ");
  } finally {
    db.close();
    // The driver's close lets go only once its statements are collected: collect them now, so this
    // connection's last close (a checkpoint under the file's lock) is done before the server restarts.
    Bun.gc(true);
  }
}

export const median = (xs: number[]) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
export const quantile = (xs: number[], q: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * q) - 1)]);

/** The machine's load average (1, 5, 15 min) — the runs share a busy machine, so each report carries it. */
export const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
