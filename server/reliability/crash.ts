// Crash safety (docs/reliability.md): senders at a steady total rate while the server is SIGKILLed
// at random moments, `cycles` times, and started again. Single binary: after each kill the database
// file is checked (`PRAGMA integrity_check`) and the server starts on the same port and data.
// Cluster (`cluster: true`): three nodes on one PostgreSQL database and one Redis behind HAProxy
// (server/test/cluster.ts); each cycle SIGKILLs a random node and starts it again, while its clients
// reconnect through the balancer to the others. Either way every client reconnects, resends what was
// not acked (same clientMsgId) and resumes by seq. At the end the log is read back and compared with
// every ack and with what each receiver saw.

import { SQL } from "bun";
import { startCluster, until, type Cluster } from "../test/cluster";
import { ChatClient, integrity, loadAverage, median, Sender, serverProc, storedEvents, users, type ServerProc } from "./kit";

type Stored = Map<string, { seq: number; kind: string; clientMsgId: string | null; body: string | null }[]>;

/** What the run kills and starts again: one server process, or a node of a cluster. */
interface Target {
  url: string;
  wsUrl: string;
  /** SIGKILLs the server (a random node of a cluster); returns its name. */
  kill(): Promise<string>;
  /** The file's integrity_check after a kill or stop; undefined on PostgreSQL (its own recovery, not a file we can check). */
  integrity(): string | undefined;
  /** Starts the killed server again; resolves when it listens. */
  start(): Promise<void>;
  /** Resolves when the balancer routes to every node again (a cluster). */
  ready(): Promise<void>;
  /** Every stored event of `rooms`, in seq order, once everything is stopped. */
  stored(rooms: string[]): Promise<Stored>;
  /** A clean stop of everything: the exit codes that were not 0, as problems. */
  stop(): Promise<string[]>;
  dispose(): Promise<void>;
}

/** A replay bound above what a restart can miss: receivers resume by seq alone, never from a gap. (No write limits either: RUN_ARGS, and the cluster's `extra`.) */
const REPLAY = ["--replay-limit", "1000000"];

async function single(): Promise<Target> {
  const srv: ServerProc = await serverProc({ args: REPLAY });
  return {
    url: srv.url, wsUrl: srv.wsUrl,
    kill: async () => (await srv.kill(), "the server"),
    integrity: () => integrity(srv.dataDir),
    start: () => srv.start(),
    ready: async () => undefined,
    stored: async (rooms) => storedEvents(srv.dataDir, rooms),
    async stop() {
      const code = await srv.stop();
      return code === 0 ? [] : [`the final stop exited ${code}`];
    },
    dispose: () => srv.dispose(),
  };
}

async function cluster(size: number): Promise<Target> {
  const c: Cluster = await startCluster({ bus: "redis", size, extra: ["--write-burst", "100000", "--write-rate", "100000", ...REPLAY] });
  let down = -1;
  return {
    url: c.lb.url, wsUrl: c.lb.wsUrl,
    async kill() {
      // A node that holds sockets: one restarted empty gets no clients until another node goes down.
      const stats = await c.lb.servers();
      const holding = c.nodes.map((_, i) => i).filter((i) => stats[i].sessions > 0); // the stats list the servers in the nodes' order
      down = holding[Math.floor(Math.random() * holding.length)] ?? Math.floor(Math.random() * c.nodes.length);
      await c.nodes[down].kill();
      return `node ${down + 1}`;
    },
    integrity: () => undefined,
    start: () => c.nodes[down].restart(),
    ready: () => c.lb.waitUp(c.nodes.length),
    async stored(rooms) {
      const sql = new SQL(c.dbUrl.replace(/\?.*$/, ""), { max: 1 });
      try {
        const q = (r: string) => sql`SELECT seq, kind, client_msg_id AS "clientMsgId", body FROM events WHERE room_id = ${r} ORDER BY seq`;
        return new Map(await Promise.all(rooms.map(async (r) => [r, ((await q(r)) as { seq: number | string }[]).map((e) => ({ ...e, seq: Number(e.seq) }))] as const))) as Stored;
      } finally {
        await sql.close();
      }
    },
    async stop() {
      // The nodes stop cleanly (SIGTERM) before the read; the database is dropped by dispose.
      const dead = c.nodes.map((n, i) => (n.alive() ? undefined : `node ${i + 1} was not running at the end`)).filter((x): x is string => !!x);
      await c.lb.stop();
      await Promise.all(c.nodes.map((n) => n.stop()));
      return dead;
    },
    dispose: () => c.stop(),
  };
}

export interface CrashOptions {
  cycles: number;
  /** Three nodes (or `nodes`) on PostgreSQL + Redis behind HAProxy, a random one killed per cycle. */
  cluster?: boolean;
  nodes?: number;
  senders?: number;
  receivers?: number;
  rooms?: number;
  /** Messages per second offered by all senders together. */
  rate?: number;
  /** Traffic before each kill: uniform in [min, max] ms. */
  runMs?: [number, number];
  log?: (line: string) => void;
}

export interface CrashFigures {
  /** "single" or "cluster of N". */
  form: string;
  cycles: number;
  senders: number;
  receivers: number;
  rooms: number;
  offeredPerSec: number;
  sent: number;
  /** Sends again of a message not acked when its socket dropped (same clientMsgId). */
  resent: number;
  acked: number;
  /** Acked messages per second of traffic (from the first send to the last kill's recovery). */
  ackedPerSec: number;
  stored: number;
  ackedLost: number;
  duplicates: number;
  seqHoles: number;
  ackSeqMismatch: number;
  /** Single binary only (PostgreSQL recovers by itself; there is no file to check). */
  integrity: string[];
  receiverDisorder: number;
  receiverGaps: number;
  receiverMissing: number;
  receiverEvents: number;
  errorsByCode: Record<string, number>;
  /** From the new process's spawn to its "listening" line (polled every 50 ms). */
  restartToListeningMs: { median: number; max: number; all: number[] };
  /** Single binary: a cluster's clients do not wait for the killed node (killToResumedMs). */
  restartToFirstHelloMs?: { median: number; max: number; all: number[] };
  /** Cluster: which node each cycle killed, and from the kill until every client it had was welcomed again (by another node: it was still down). */
  killed?: string[];
  killedClients?: number[];
  killToResumedMs?: { median: number; max: number; all: number[] };
  durationSec: number;
  loadAverage: { start: string; end: string };
  problems: string[];
}

export async function runCrash(o: CrashOptions): Promise<CrashFigures> {
  const senders = o.senders ?? 20, receivers = o.receivers ?? 5, roomCount = o.rooms ?? 4, rate = o.rate ?? 1000;
  const [minRun, maxRun] = o.runMs ?? [1_000, 4_000];
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  const load0 = loadAverage();
  const target = o.cluster ? await cluster(o.nodes ?? 3) : await single();
  const problems: string[] = [];
  const clients: ChatClient[] = [];
  const all: Sender[] = [];
  try {
    const { sessions, rooms } = await users(target.url, senders + receivers, roomCount);
    const receiving: ChatClient[] = [];
    sessions.forEach((s, i) => {
      const c = new ChatClient(target.wsUrl, s);
      c.follow(Object.fromEntries(rooms.map((r) => [r, 0])));
      clients.push(c);
      if (i < senders) all.push(new Sender(c, rooms[i % roomCount], `u${i}`));
      else receiving.push(c);
    });
    for (const c of clients) c.start();
    await until("every client welcomed", () => clients.every((c) => c.connected), 30_000);
    for (const s of all) s.run((1000 * senders) / rate);
    const trafficFrom = performance.now();
    const restarts: number[] = [];
    const listening: number[] = [];
    const integrityResults: string[] = [];
    const killed: string[] = [];
    const killedClients: number[] = [];
    const resumed: number[] = [];
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      await Bun.sleep(minRun + Math.random() * (maxRun - minRun));
      const closes = clients.map((c) => c.closes.length);
      const killedAt = performance.now();
      killed.push(await target.kill());
      const check = target.integrity();
      if (check !== undefined) integrityResults.push(check);
      if (check !== undefined && check !== "ok") problems.push(`cycle ${cycle}: integrity_check: ${check}`);
      let note: string;
      if (o.cluster) {
        // The killed node stays down until its clients are back: they can only have resumed on another node.
        await until("a client of the killed node dropped", () => clients.some((c, i) => c.closes.length > closes[i]), 30_000);
        const dropped = () => clients.filter((c, i) => c.closes.length > closes[i]);
        await until("the killed node's clients resumed elsewhere", () => clients.every((c) => c.connected) && dropped().every((c) => (c.welcomes.at(-1) ?? 0) > killedAt), 60_000);
        const back = Math.max(...dropped().map((c) => c.welcomes.find((t) => t > killedAt)!)) - killedAt;
        killedClients.push(dropped().length);
        resumed.push(back);
        note = `${killed.at(-1)} killed: its ${dropped().length} clients resumed elsewhere ${Math.round(back)} ms after the kill`;
      }
      const spawned = performance.now();
      await target.start();
      listening.push(performance.now() - spawned);
      if (o.cluster) {
        await target.ready();
      } else {
        await until("a client welcomed after the restart", () => clients.some((c) => (c.welcomes.at(-1) ?? 0) > spawned), 60_000);
        const first = Math.min(...clients.map((c) => c.welcomes.at(-1) ?? Infinity).filter((t) => t > spawned));
        restarts.push(first - spawned);
        note = `first hello ${Math.round(first - spawned)} ms after the spawn`;
      }
      await until("every client back", () => clients.every((c) => c.connected), 60_000);
      log(`cycle ${cycle}/${o.cycles}: acked ${all.reduce((n, s) => n + s.acked.size, 0)}, ${note!}`);
    }
    // Stop offering; wait for every message to be acked (resends included) and every receiver to have the last seq.
    for (const s of all) s.pause();
    const trafficSec = (performance.now() - trafficFrom) / 1000;
    await until("every message acked", () => all.every((s) => s.pending.size === 0), 60_000);
    const heads = new Map<string, number>();
    for (const s of all) for (const seq of s.acked.values()) heads.set(s.room, Math.max(heads.get(s.room) ?? 0, seq));
    await until("receivers caught up", () => receiving.every((c) => rooms.every((r) => (c.last.get(r) ?? 0) >= (heads.get(r) ?? 0))), 60_000).catch((e) => problems.push(String(e)));
    for (const c of clients) c.stop();
    problems.push(...(await target.stop()));
    const finalCheck = target.integrity();
    if (finalCheck !== undefined) integrityResults.push(finalCheck);

    // Read back and compare.
    const stored = await target.stored(rooms);
    let seqHoles = 0, duplicates = 0, storedMessages = 0;
    const byCmid = new Map<string, { room: string; seq: number; body: string | null }>();
    for (const [room, evs] of stored) {
      evs.forEach((e, i) => {
        if (e.seq !== i + 1) seqHoles++;
        if (e.kind !== "message" || e.clientMsgId === null) return;
        storedMessages++;
        if (byCmid.has(e.clientMsgId)) duplicates++;
        byCmid.set(e.clientMsgId, { room, seq: e.seq, body: e.body });
      });
    }
    let ackedLost = 0, ackSeqMismatch = 0, acked = 0;
    for (const s of all) {
      for (const [cmid, seq] of s.acked) {
        acked++;
        const row = byCmid.get(cmid);
        if (!row) ackedLost++;
        else if (row.seq !== seq || row.room !== s.room || row.body !== `m ${cmid}`) ackSeqMismatch++;
      }
      ackSeqMismatch += s.ackMismatch.length;
    }
    // Every receiver stayed through every kill (it reconnected and resumed): it saw every event of
    // every room once, in order. Disorder is counted as it arrives; missing = the stored head not reached.
    let receiverMissing = 0;
    for (const c of receiving) for (const r of rooms) receiverMissing += Math.max(0, (stored.get(r)?.length ?? 0) - (c.last.get(r) ?? 0));
    const errorsByCode: Record<string, number> = {};
    for (const s of all) for (const [k, v] of Object.entries(s.errors)) errorsByCode[k] = (errorsByCode[k] ?? 0) + v;
    const spread = (xs: number[]) => ({ median: Math.round(median(xs)), max: Math.round(Math.max(...xs)), all: xs.map(Math.round) });
    return {
      form: o.cluster ? `cluster of ${o.nodes ?? 3}` : "single", cycles: o.cycles, senders, receivers, rooms: roomCount, offeredPerSec: rate,
      sent: all.reduce((n, s) => n + s.sent, 0), resent: all.reduce((n, s) => n + s.resent, 0), acked, ackedPerSec: Math.round(acked / trafficSec), stored: storedMessages,
      ackedLost, duplicates, seqHoles, ackSeqMismatch,
      integrity: integrityResults,
      receiverDisorder: receiving.reduce((n, c) => n + c.disorder.length, 0),
      receiverGaps: receiving.reduce((n, c) => n + c.gaps.length, 0),
      receiverMissing,
      receiverEvents: receiving.reduce((n, c) => n + c.events, 0),
      errorsByCode,
      restartToListeningMs: spread(listening),
      ...(o.cluster ? { killed, killedClients, killToResumedMs: spread(resumed) } : { restartToFirstHelloMs: spread(restarts) }),
      durationSec: Math.round((performance.now() - t0) / 1000),
      loadAverage: { start: load0, end: loadAverage() },
      problems: [...problems, ...receiving.flatMap((c) => c.disorder.slice(0, 3))],
    };
  } finally {
    for (const c of clients) c.stop();
    for (const s of all) s.pause();
    await target.dispose();
  }
}
