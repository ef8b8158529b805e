// Slow consumers (docs/reliability.md): a client that stops reading while its room gets `rate`
// msgs/s of ~1 KB. The server must close it itself once its backlog passes --ws-backlog (instead of
// buffering without bound, skipping it, or leaving it to Bun's anonymous 1006) with close code 4013,
// count it in parley_slow_consumer_closes_total, keep serving the others, and let it resume by seq.

import type { Subprocess } from "bun";
import { join } from "node:path";
import { until } from "../test/cluster";
import { api } from "../test/harness";
import { ChatClient, loadAverage, quantile, Sender, serverProc, users } from "./kit";

const UNTIL_CLOSED_MAX_S = 60;

export interface SlowFigures {
  seconds: number;
  /** How long the traffic ran (longer than `seconds` only with `untilClosed`). */
  ranMs: number;
  offeredPerSec: number;
  bodyBytes: number;
  acked: number;
  backlogLimitBytes: number;
  slowClosed: boolean;
  slowCloseCode: number | null;
  /** The "slow consumer closed" warning for the stalled client's connection: its queued bytes then. */
  slowCloseLoggedQueuedBytes: number | null;
  /** parley_slow_consumer_closes_total at the end of the run. */
  slowClosesCounted: number;
  slowClosedAfterMs: number | null;
  rssKiB: { before: number; median: number; max: number; after: number };
  otherReceiverEvents: number;
  otherReceiverDisorder: number;
  otherReceiverMissing: number;
  resumedEvents: number;
  resumedDisorder: number;
  resumedMissing: number;
  resumedGaps: number;
  loadAverage: { start: string; end: string };
}

/**
 * `seconds` of traffic; with `untilClosed`, longer if the stalled reader is not closed by then (up to
 * UNTIL_CLOSED_MAX_S): the kernel's socket buffers take a few MB before the server's backlog grows,
 * so on a loaded machine (fewer msgs/s actually sent) the close comes later.
 */
export async function runSlow(o: { seconds: number; untilClosed?: boolean; rate?: number; bodyBytes?: number; log?: (s: string) => void }): Promise<SlowFigures> {
  const rate = o.rate ?? 1000, bodyBytes = o.bodyBytes ?? 1024, senderCount = 10;
  const log = o.log ?? (() => undefined);
  const load0 = loadAverage();
  // Debug level: the close of each socket is logged with its code. A replay bound above the run's
  // messages: the stalled client resumes by seq alone.
  const srv = await serverProc({ args: ["--log-level", "debug", "--replay-limit", "1000000"] });
  let stalled: Subprocess<"ignore", "pipe", "inherit"> | undefined;
  const clients: ChatClient[] = [];
  const senders: Sender[] = [];
  try {
    const { sessions, rooms } = await users(srv.url, senderCount + 2, 1);
    const room = rooms[0];
    const slowUser = sessions[senderCount], other = sessions[senderCount + 1];
    const head0 = (await api(srv.url, "GET", "/api/rooms", undefined, slowUser.accessToken)).body.rooms.find((r: { id: string }) => r.id === room).lastSeq as number;
    const rssBefore = srv.rssKiB();

    // A process of its own: a socket paused there stops being read, whatever this process does.
    stalled = Bun.spawn([process.execPath, join(import.meta.dir, "stalled-client.ts"), String(srv.port), slowUser.accessToken], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
    const reader = stalled.stdout.getReader();
    const first = await reader.read();
    if (!new TextDecoder().decode(first.value).includes("welcomed")) throw new Error("the stalled client was not welcomed");
    const logBefore = srv.output().length;
    const slowConn = /"msg":"ws ready","conn":"([^"]+)","userId":"([^"]+)"/g;
    let conn: string | undefined;
    await until("the stalled client's connection logged", () => {
      for (const m of srv.output().matchAll(slowConn)) if (m[2] === slowUser.user.id) conn = m[1];
      return conn !== undefined;
    });

    const watcher = new ChatClient(srv.wsUrl, other);
    watcher.follow({ [room]: head0 });
    clients.push(watcher);
    watcher.start();
    const pad = "x".repeat(bodyBytes);
    for (let i = 0; i < senderCount; i++) {
      const c = new ChatClient(srv.wsUrl, sessions[i]);
      clients.push(c);
      senders.push(new Sender(c, room, `s${i}`, (cmid) => `${cmid} ${pad}`.slice(0, bodyBytes)));
      c.start();
    }
    await until("every client welcomed", () => clients.every((c) => c.connected));
    const started = performance.now();
    for (const s of senders) s.run((1000 * senderCount) / rate);
    const rss: number[] = [];
    let closedAt: number | null = null;
    let closeCode: number | null = null;
    const closed = new RegExp(`"msg":"ws closed","conn":"${conn}"[^\\n]*"closeCode":(\\d+)`);
    const running = () => {
      const ms = performance.now() - started;
      return ms < o.seconds * 1000 || (o.untilClosed === true && closedAt === null && ms < UNTIL_CLOSED_MAX_S * 1000);
    };
    while (running()) {
      await Bun.sleep(250);
      rss.push(srv.rssKiB());
      const m = closed.exec(srv.output().slice(logBefore));
      if (m && closedAt === null) {
        closedAt = performance.now() - started;
        closeCode = Number(m[1]);
        log(`stalled client closed (code ${closeCode}) after ${Math.round(closedAt)} ms`);
      }
    }
    const ranMs = Math.round(performance.now() - started);
    for (const s of senders) s.pause();
    await until("every message acked", () => senders.every((s) => s.pending.size === 0), 60_000);
    const head = Math.max(...senders.flatMap((s) => [...s.acked.values()]));
    await until("the other reader caught up", () => (watcher.last.get(room) ?? 0) >= head, 60_000).catch(() => undefined);
    const rssAfter = srv.rssKiB();
    const warned = new RegExp(`"msg":"slow consumer closed","conn":"${conn}"[^\\n]*"queuedBytes":(\\d+)`).exec(srv.output().slice(logBefore));
    const metrics = await (await fetch(srv.url + "/metrics")).text();
    const counted = Number(/^parley_slow_consumer_closes_total (\d+)$/m.exec(metrics)?.[1] ?? NaN);
    stalled.kill("SIGKILL");
    await stalled.exited;
    // The stalled user comes back and resumes from the last seq it had (the room's head at its welcome).
    const back = new ChatClient(srv.wsUrl, slowUser);
    back.follow({ [room]: head0 });
    clients.push(back);
    back.start();
    await until("the resumed client caught up", () => (back.last.get(room) ?? 0) >= head, 60_000).catch(() => undefined);
    return {
      seconds: o.seconds, ranMs, offeredPerSec: rate, bodyBytes, acked: senders.reduce((n, s) => n + s.acked.size, 0),
      backlogLimitBytes: 1_048_576,
      slowClosed: closedAt !== null, slowCloseCode: closeCode, slowClosedAfterMs: closedAt === null ? null : Math.round(closedAt),
      slowCloseLoggedQueuedBytes: warned ? Number(warned[1]) : null, slowClosesCounted: counted,
      rssKiB: { before: rssBefore, median: quantile(rss, 0.5), max: Math.max(...rss), after: rssAfter },
      otherReceiverEvents: watcher.events, otherReceiverDisorder: watcher.disorder.length, otherReceiverMissing: head - (watcher.last.get(room) ?? 0),
      resumedEvents: back.events, resumedDisorder: back.disorder.length, resumedMissing: head - (back.last.get(room) ?? 0), resumedGaps: back.gaps.length,
      loadAverage: { start: load0, end: loadAverage() },
    };
  } finally {
    for (const s of senders) s.pause();
    for (const c of clients) c.stop();
    stalled?.kill("SIGKILL");
    await srv.dispose();
  }
}

export interface CatchUpFigures {
  stored: number;
  bodyBytes: number;
  closeCode: number | null;
  /** The "slow consumer closed" warning's `via` (send: a frame to that socket alone found the backlog). */
  closedVia: string | null;
  slowClosesCounted: number;
  resumedEvents: number;
  resumedDisorder: number;
  resumedMissing: number;
  resumedGaps: number;
}

/**
 * A stalled reader that asks to be caught up on `messages` stored messages of ~4 KB (more than the
 * kernel's buffers and --ws-backlog together): the catch-up sends frames to that socket alone, so
 * the check after each send closes it (4013), before Bun's own limit would. It then resumes by seq.
 */
export async function runCatchUpOverflow(o: { messages?: number } = {}): Promise<CatchUpFigures> {
  const messages = o.messages ?? 2_500, bodyBytes = 3_900;
  const srv = await serverProc({ args: ["--log-level", "debug", "--replay-limit", "1000000"] });
  let stalled: Subprocess<"ignore", "pipe", "inherit"> | undefined;
  const clients: ChatClient[] = [];
  try {
    const { sessions, rooms } = await users(srv.url, 2, 1);
    const room = rooms[0];
    const [writer, slowUser] = sessions;
    const w = new ChatClient(srv.wsUrl, writer);
    clients.push(w);
    let oks = 0;
    w.onFrame((f) => void (f.type === "ok" && oks++));
    w.start();
    await until("the writer welcomed", () => w.connected);
    const pad = "z".repeat(bodyBytes);
    for (let i = 0; i < messages; i++) w.send({ type: "send", id: `c${i}`, room, clientMsgId: `c${i}`, body: `c${i} ${pad}`.slice(0, bodyBytes) });
    await until("every message acked", () => oks >= messages, 60_000);
    const head = (await api(srv.url, "GET", "/api/rooms", undefined, slowUser.accessToken)).body.rooms.find((r: { id: string }) => r.id === room).lastSeq as number;

    const logBefore = srv.output().length;
    stalled = Bun.spawn([process.execPath, join(import.meta.dir, "stalled-client.ts"), String(srv.port), slowUser.accessToken, JSON.stringify({ [room]: 0 })], { stdin: "ignore", stdout: "pipe", stderr: "inherit" });
    const warned = /"msg":"slow consumer closed"[^\n]*"via":"(\w+)","closeCode":(\d+)/;
    await until("the stalled reader closed for its backlog", () => warned.test(srv.output().slice(logBefore)), 60_000);
    const m = warned.exec(srv.output().slice(logBefore))!;
    const metrics = await (await fetch(srv.url + "/metrics")).text();
    stalled.kill("SIGKILL");
    await stalled.exited;

    const back = new ChatClient(srv.wsUrl, slowUser);
    back.follow({ [room]: 0 });
    clients.push(back);
    back.start();
    await until("the resumed client caught up", () => (back.last.get(room) ?? 0) >= head, 60_000).catch(() => undefined);
    return {
      stored: oks, bodyBytes, closeCode: Number(m[2]), closedVia: m[1],
      slowClosesCounted: Number(/^parley_slow_consumer_closes_total (\d+)$/m.exec(metrics)?.[1] ?? NaN),
      resumedEvents: back.events, resumedDisorder: back.disorder.length, resumedMissing: head - (back.last.get(room) ?? 0), resumedGaps: back.gaps.length,
    };
  } finally {
    for (const c of clients) c.stop();
    stalled?.kill("SIGKILL");
    await srv.dispose();
  }
}
