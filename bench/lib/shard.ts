// Fanout's generator side, split by room: a shard owns whole rooms (their connections and senders), runs each step's
// share of the schedule, and reports mergeable results. One shard runs in-process; with --workers N each runs in its own process.
import { join, resolve } from "node:path";
import type { AuditReport } from "./audit";
import type { Conn, ConnOptions } from "./client";
import type { ClusterInfo } from "./cluster";
import { Histogram, type SparseHistogram } from "./histogram";
import { CpuMeter, type Progress } from "./progress";
import type { Layout } from "./provision";
import { closeAll, connectSome, Recorder } from "./recorder";
import { buildSchedule, clientMsgId, dispatch, nowMs, stampBody } from "./schedule";
import { drain } from "../scenarios/common";
import { isCompiled } from "./target";

export interface SenderSlot {
  /** Global sender index: fixes the sender's phase in the schedule. */
  s: number;
  conn: number;
  room: string;
}

/** Everything a shard needs; plain data, so it can be sent to a worker process. */
export interface ShardSpec {
  url: string;
  /** Durable targets get the storage audit (every acked message read back through the history API). */
  durable: boolean;
  layout: Layout;
  /** Global indices of the connections this shard opens (whole rooms). */
  conns: number[];
  /** Connections opened over all shards: the fan-out a send is owed is counted among them. */
  connected: number;
  /** This shard's senders. */
  slots: SenderSlot[];
  /** Senders over all shards (the schedule's period). */
  senders: number;
  bodyChars: number;
  drainQuietMs: number;
  label: string;
  /** --delivered: every connection reports delivery as a real client does (lib/delivered.ts). */
  delivered: boolean;
}

/** One step's share, as plain data: counts add up, histograms merge exactly (same layout, slot by slot). */
export interface StepReport {
  sent: number;
  notSent: number;
  acked: number;
  expected: number;
  delivered: number;
  firstAt: number;
  lastAt: number;
  latency: SparseHistogram;
  ackLatency: SparseHistogram;
  /** How late sends left against their schedule, ms·1000 (µs). */
  lag: SparseHistogram;
  /** CPU-seconds of each generator process while sending (wall `sendSec`) and from the start of sending to the end of the drain. */
  cpuSend: number[];
  sendSec: number;
  cpuTotal: number[];
  totalSec: number;
  /** Every event frame received between the start of sending and the end of the drain (what the cost is divided by). */
  received: number;
  /** --nodes: latency by whether the receiver sits on the sender's node. */
  crossing?: { local: SparseHistogram; remote: SparseHistogram };
}

export interface StepCommand {
  tag: string;
  rate: number;
  durationMs: number;
  startMs: number;
  /** Give up draining after this long (a dead server), ms. */
  capMs: number;
}

export interface Shard {
  connect(): Promise<void>;
  step(cmd: StepCommand): Promise<StepReport>;
  /** Live counters of the running step, when the shard is in this process (for the progress line). */
  live?(tag: string): { delivered: number; p99Us: number };
  /** Closes the connections, audits storage, and ends the shard (its process, if any). */
  finish(): Promise<{ audit: AuditReport; drops: number }>;
  /** Ends a shard abruptly (a failed run). */
  kill(): void;
}

/** Merges the shards' shares of one step into one report: every count summed, every histogram merged slot by slot. */
export function mergeStepReports(parts: StepReport[]): StepReport {
  const merge = (pick: (p: StepReport) => SparseHistogram) => parts.reduce((h, p) => h.merge(Histogram.fromSparse(pick(p))), new Histogram()).toSparse();
  const crossing = parts.some((p) => p.crossing)
    ? { local: merge((p) => p.crossing?.local ?? new Histogram().toSparse()), remote: merge((p) => p.crossing?.remote ?? new Histogram().toSparse()) }
    : undefined;
  const sum = (pick: (p: StepReport) => number) => parts.reduce((n, p) => n + pick(p), 0);
  return {
    sent: sum((p) => p.sent), notSent: sum((p) => p.notSent), acked: sum((p) => p.acked), expected: sum((p) => p.expected), delivered: sum((p) => p.delivered),
    firstAt: Math.min(...parts.map((p) => p.firstAt)), lastAt: Math.max(0, ...parts.map((p) => p.lastAt)),
    latency: merge((p) => p.latency), ackLatency: merge((p) => p.ackLatency), lag: merge((p) => p.lag),
    cpuSend: parts.flatMap((p) => p.cpuSend), sendSec: Math.max(0, ...parts.map((p) => p.sendSec)),
    cpuTotal: parts.flatMap((p) => p.cpuTotal), totalSec: Math.max(0, ...parts.map((p) => p.totalSec)),
    received: sum((p) => p.received), crossing,
  };
}

/**
 * Rooms [0, rooms) dealt round robin to n shards, with their connections (room j holds connections
 * [j·roomSize, (j+1)·roomSize) below `connected`) and their senders (sender s sends to room s mod rooms).
 * Every room, with all of its connections and senders, is in exactly one shard: each shard's audit sees
 * whole rooms, so the merged audit is the same as one process's would be.
 */
export function splitByRoom(n: number, rooms: number, roomSize: number, connected: number, slots: SenderSlot[], roomIds: string[]): { conns: number[]; slots: SenderSlot[] }[] {
  const shards = Array.from({ length: Math.max(1, Math.min(n, rooms)) }, () => ({ conns: [] as number[], slots: [] as SenderSlot[] }));
  const owner = new Map<string, number>();
  for (let j = 0; j < rooms; j++) {
    const w = j % shards.length;
    owner.set(roomIds[j], w);
    for (let i = j * roomSize; i < Math.min((j + 1) * roomSize, connected); i++) shards[w].conns.push(i);
  }
  for (const slot of slots) shards[owner.get(slot.room) ?? 0].slots.push(slot);
  return shards;
}

/** The shard itself: connections, recorder and audit of its rooms. */
export class LocalShard implements Shard {
  readonly rec: Recorder;
  private conns: Conn[] = [];
  private byIdx: Conn[] = [];
  /** --nodes: node[i] is the node connection i landed on. */
  node?: number[];
  private readonly crossing = new Map<string, { local: Histogram; remote: Histogram }>();

  constructor(private readonly spec: ShardSpec, private readonly progress?: Progress, private readonly cluster?: ClusterInfo, private readonly finishAudit?: (rec: Recorder) => Promise<AuditReport>) {
    this.rec = new Recorder(spec.layout, spec.connected);
  }

  async connect(): Promise<void> {
    const opts: ConnOptions = { autoReconnect: true, delivered: this.spec.delivered };
    const progress = this.progress ?? { set() {}, log() {}, clear() {} } as unknown as Progress;
    if (this.cluster) {
      const placed = await this.cluster.connectAll(this.spec.layout, this.spec.connected, this.rec, opts, progress, this.spec.label);
      this.conns = placed.conns;
      this.node = placed.node;
      this.trackCrossing(placed.node);
    } else this.conns = await connectSome(this.spec.url, this.spec.layout, this.spec.conns, this.rec, opts, progress, this.spec.label);
    for (const c of this.conns) this.byIdx[c.idx] = c;
  }

  private trackCrossing(node: number[]): void {
    const connOf = new Map(this.spec.slots.map((x) => [x.s, x.conn]));
    this.rec.onLatency = (conn, id, us) => {
      // clientMsgId = step.sender.n.run (schedule.ts); a socket that reconnected through HAProxy may sit elsewhere now.
      const [tag, sender] = id.split(".", 2);
      const from = connOf.get(Number(sender));
      if (from === undefined || conn.drops > 0 || this.byIdx[from].drops > 0) return;
      let c = this.crossing.get(tag);
      if (!c) this.crossing.set(tag, (c = { local: new Histogram(), remote: new Histogram() }));
      (node[conn.idx] === node[from] ? c.local : c.remote).record(us);
    };
  }

  live(tag: string): { delivered: number; p99Us: number } {
    const st = this.rec.step(tag);
    return { delivered: st.delivered, p99Us: st.latency.percentile(99) };
  }

  async step(cmd: StepCommand): Promise<StepReport> {
    const { rec, spec } = this;
    const st = rec.step(cmd.tag);
    const lag = new Histogram();
    let notSent = 0;
    const schedule = buildSchedule({ ratePerSec: cmd.rate, senders: spec.senders, durationMs: cmd.durationMs, startMs: cmd.startMs }, spec.slots.map((x) => x.s));
    const bySender = new Map(spec.slots.map((x) => [x.s, x]));
    const cpu = new CpuMeter();
    const received0 = rec.audit.delivered;
    await dispatch(schedule, (i, t) => {
      const s = schedule.sender[i];
      const id = clientMsgId(cmd.tag, s, schedule.nth[i]);
      const slot = bySender.get(s)!;
      rec.sent(id);
      // A sender whose socket is down (e.g. closed as a slow consumer) cannot send on time: that is loss at this rate.
      if (!this.byIdx[slot.conn].send(slot.room, id, stampBody(t, id, spec.bodyChars))) {
        rec.audit.abandon(id);
        notSent++;
      }
    }, (l) => lag.recordMs(l));
    const send = cpu.sample();
    await drain(st, () => st.acked + notSent, spec.drainQuietMs, cmd.capMs);
    const total = cpu.sample();
    const c = this.crossing.get(cmd.tag);
    return {
      sent: st.sent, notSent, acked: st.acked, expected: st.expected, delivered: st.delivered, firstAt: st.firstAt, lastAt: st.lastAt,
      latency: st.latency.toSparse(), ackLatency: st.ackLatency.toSparse(), lag: lag.toSparse(),
      cpuSend: [send.cpuSec], sendSec: send.wallSec, cpuTotal: [total.cpuSec], totalSec: total.wallSec,
      received: rec.audit.delivered - received0,
      crossing: c ? { local: c.local.toSparse(), remote: c.remote.toSparse() } : undefined,
    };
  }

  async finish(): Promise<{ audit: AuditReport; drops: number }> {
    closeAll(this.conns);
    const drops = this.conns.reduce((n, c) => n + c.drops, 0);
    return { audit: this.finishAudit ? await this.finishAudit(this.rec) : this.rec.audit.report(), drops };
  }

  kill(): void {
    closeAll(this.conns);
  }
}

type ToWorker = { op: "start"; spec: ShardSpec } | { op: "connect" } | { op: "step"; cmd: StepCommand } | { op: "finish" };
type FromWorker = { ok: true; value?: unknown } | { ok: false; error: string };

/** The command line that runs a shard worker: the bench CLI's hidden --fanout-worker. */
function workerCommand(): string[] {
  return isCompiled() ? [process.execPath, "bench", "--fanout-worker"] : [process.execPath, join(resolve(import.meta.dir, ".."), "cli.ts"), "--fanout-worker"];
}

/** A shard in a worker process of its own, driven over IPC one request at a time. */
export class RemoteShard implements Shard {
  private readonly proc: Bun.Subprocess;
  private waiting?: { resolve: (v: unknown) => void; reject: (e: Error) => void };
  private exited = false;

  constructor(private readonly spec: ShardSpec) {
    this.proc = Bun.spawn(workerCommand(), {
      stdin: "ignore", stdout: "inherit", stderr: "inherit",
      ipc: (m: FromWorker) => {
        const w = this.waiting;
        this.waiting = undefined;
        if (!w) return;
        if (m.ok) w.resolve(m.value);
        else w.reject(new Error(`${spec.label} worker: ${m.error}`));
      },
      onExit: (_p, code) => {
        this.exited = true;
        this.waiting?.reject(new Error(`${spec.label} worker exited (code ${code})`));
        this.waiting = undefined;
      },
    });
  }

  private request<T>(msg: ToWorker): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.spec.label} worker is gone`));
    return new Promise<T>((res, rej) => {
      this.waiting = { resolve: res as (v: unknown) => void, reject: rej };
      this.proc.send(msg);
    });
  }

  async connect(): Promise<void> {
    await this.request({ op: "start", spec: this.spec });
    await this.request({ op: "connect" });
  }

  step(cmd: StepCommand): Promise<StepReport> {
    return this.request({ op: "step", cmd });
  }

  async finish(): Promise<{ audit: AuditReport; drops: number }> {
    const r = await this.request<{ audit: AuditReport; drops: number }>({ op: "finish" });
    await Promise.race([this.proc.exited, Bun.sleep(5000)]);
    this.kill();
    return r;
  }

  kill(): void {
    if (!this.exited) this.proc.kill();
  }
}

/** The worker process's side (bench CLI --fanout-worker): one LocalShard, answering the coordinator's requests in order. */
export function runShardWorker(finishAudit: (spec: ShardSpec, rec: Recorder) => Promise<AuditReport>): Promise<number> {
  let shard: LocalShard | undefined;
  let spec: ShardSpec | undefined;
  let queue = Promise.resolve();
  const reply = (m: FromWorker) => process.send?.(m);
  process.on("message", (m: ToWorker) => {
    queue = queue.then(async () => {
      try {
        if (m.op === "start") {
          spec = m.spec;
          shard = new LocalShard(m.spec, undefined, undefined, (rec) => finishAudit(m.spec, rec));
          reply({ ok: true });
        } else if (!shard || !spec) reply({ ok: false, error: "not started" });
        else if (m.op === "connect") reply({ ok: true, value: await shard.connect() });
        else if (m.op === "step") reply({ ok: true, value: await shard.step(m.cmd) });
        else {
          reply({ ok: true, value: await shard.finish() });
          setTimeout(() => process.exit(0), 50);
        }
      } catch (e) {
        reply({ ok: false, error: (e as Error).stack ?? String(e) });
      }
    });
  });
  process.on("disconnect", () => process.exit(0)); // the coordinator is gone
  return new Promise<number>(() => {});
}
