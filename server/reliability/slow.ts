// Slow consumers (docs/reliability.md): a client that stops reading while its room gets `rate`
// msgs/s of ~1 KB. The server must close it once its backlog passes --ws-backlog (instead of
// buffering without bound or skipping it), keep serving the others, and let it resume by seq.

import type { Subprocess } from "bun";
import { join } from "node:path";
import { until } from "../test/cluster";
import { api } from "../test/harness";
import { ChatClient, loadAverage, quantile, Sender, serverProc, users } from "./kit";

export interface SlowFigures {
  seconds: number;
  offeredPerSec: number;
  bodyBytes: number;
  acked: number;
  backlogLimitBytes: number;
  slowClosed: boolean;
  slowCloseCode: number | null;
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

export async function runSlow(o: { seconds: number; rate?: number; bodyBytes?: number; log?: (s: string) => void }): Promise<SlowFigures> {
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
    while (performance.now() - started < o.seconds * 1000) {
      await Bun.sleep(250);
      rss.push(srv.rssKiB());
      const m = closed.exec(srv.output().slice(logBefore));
      if (m && closedAt === null) {
        closedAt = performance.now() - started;
        closeCode = Number(m[1]);
        log(`stalled client closed (code ${closeCode}) after ${Math.round(closedAt)} ms`);
      }
    }
    for (const s of senders) s.pause();
    await until("every message acked", () => senders.every((s) => s.pending.size === 0), 60_000);
    const head = Math.max(...senders.flatMap((s) => [...s.acked.values()]));
    await until("the other reader caught up", () => (watcher.last.get(room) ?? 0) >= head, 60_000).catch(() => undefined);
    const rssAfter = srv.rssKiB();
    stalled.kill("SIGKILL");
    await stalled.exited;
    // The stalled user comes back and resumes from the last seq it had (the room's head at its welcome).
    const back = new ChatClient(srv.wsUrl, slowUser);
    back.follow({ [room]: head0 });
    clients.push(back);
    back.start();
    await until("the resumed client caught up", () => (back.last.get(room) ?? 0) >= head, 60_000).catch(() => undefined);
    return {
      seconds: o.seconds, offeredPerSec: rate, bodyBytes, acked: senders.reduce((n, s) => n + s.acked.size, 0),
      backlogLimitBytes: 1_048_576,
      slowClosed: closedAt !== null, slowCloseCode: closeCode, slowClosedAfterMs: closedAt === null ? null : Math.round(closedAt),
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
