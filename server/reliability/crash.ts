// Crash safety (docs/reliability.md): senders at a steady total rate while the server is SIGKILLed
// at random moments, `cycles` times; after each kill the database file is checked
// (`PRAGMA integrity_check`), the server is started again on the same port and data, and every
// client reconnects, resends what was not acked (same clientMsgId) and resumes by seq. At the end
// the log is read back and compared with every ack and with what each receiver saw.

import { until } from "../test/cluster";
import { ChatClient, integrity, loadAverage, median, Sender, serverProc, storedEvents, users } from "./kit";

export interface CrashOptions {
  cycles: number;
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
  integrity: string[];
  receiverDisorder: number;
  receiverGaps: number;
  receiverMissing: number;
  receiverEvents: number;
  errorsByCode: Record<string, number>;
  /** From the new process's spawn to its "listening" line (polled every 50 ms), and to the first client's welcome. */
  restartToListeningMs: { median: number; max: number; all: number[] };
  restartToFirstHelloMs: { median: number; max: number; all: number[] };
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
  // A replay bound above what a restart can miss: receivers resume by seq alone, never from a gap.
  const srv = await serverProc({ args: ["--replay-limit", "1000000"] });
  const problems: string[] = [];
  const clients: ChatClient[] = [];
  const all: Sender[] = [];
  try {
    const { sessions, rooms } = await users(srv.url, senders + receivers, roomCount);
    const receiving: ChatClient[] = [];
    sessions.forEach((s, i) => {
      const c = new ChatClient(srv.wsUrl, s);
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
    for (let cycle = 1; cycle <= o.cycles; cycle++) {
      await Bun.sleep(minRun + Math.random() * (maxRun - minRun));
      await srv.kill();
      const check = integrity(srv.dataDir);
      integrityResults.push(check);
      if (check !== "ok") problems.push(`cycle ${cycle}: integrity_check: ${check}`);
      const spawned = performance.now();
      await srv.start();
      listening.push(performance.now() - spawned);
      await until("a client welcomed after the restart", () => clients.some((c) => (c.welcomes.at(-1) ?? 0) > spawned), 60_000);
      const first = Math.min(...clients.map((c) => c.welcomes.at(-1) ?? Infinity).filter((t) => t > spawned));
      restarts.push(first - spawned);
      await until("every client back", () => clients.every((c) => c.connected), 60_000);
      log(`cycle ${cycle}/${o.cycles}: acked ${all.reduce((n, s) => n + s.acked.size, 0)}, first hello ${Math.round(first - spawned)} ms after the spawn`);
    }
    // Stop offering; wait for every message to be acked (resends included) and every receiver to have the last seq.
    for (const s of all) s.pause();
    const trafficSec = (performance.now() - trafficFrom) / 1000;
    await until("every message acked", () => all.every((s) => s.pending.size === 0), 60_000);
    const heads = new Map<string, number>();
    for (const s of all) for (const seq of s.acked.values()) heads.set(s.room, Math.max(heads.get(s.room) ?? 0, seq));
    await until("receivers caught up", () => receiving.every((c) => rooms.every((r) => (c.last.get(r) ?? 0) >= (heads.get(r) ?? 0))), 60_000).catch((e) => problems.push(String(e)));
    for (const c of clients) c.stop();
    const code = await srv.stop();
    if (code !== 0) problems.push(`the final stop exited ${code}`);
    integrityResults.push(integrity(srv.dataDir));

    // Read back and compare.
    const stored = storedEvents(srv.dataDir, rooms);
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
    return {
      cycles: o.cycles, senders, receivers, rooms: roomCount, offeredPerSec: rate,
      sent: all.reduce((n, s) => n + s.sent, 0), resent: all.reduce((n, s) => n + s.resent, 0), acked, ackedPerSec: Math.round(acked / trafficSec), stored: storedMessages,
      ackedLost, duplicates, seqHoles, ackSeqMismatch,
      integrity: integrityResults,
      receiverDisorder: receiving.reduce((n, c) => n + c.disorder.length, 0),
      receiverGaps: receiving.reduce((n, c) => n + c.gaps.length, 0),
      receiverMissing,
      receiverEvents: receiving.reduce((n, c) => n + c.events, 0),
      errorsByCode,
      restartToListeningMs: { median: Math.round(median(listening)), max: Math.round(Math.max(...listening)), all: listening.map(Math.round) },
      restartToFirstHelloMs: { median: Math.round(median(restarts)), max: Math.round(Math.max(...restarts)), all: restarts.map(Math.round) },
      durationSec: Math.round((performance.now() - t0) / 1000),
      loadAverage: { start: load0, end: loadAverage() },
      problems: [...problems, ...receiving.flatMap((c) => c.disorder.slice(0, 3))],
    };
  } finally {
    for (const c of clients) c.stop();
    for (const s of all) s.pause();
    await srv.dispose();
  }
}
