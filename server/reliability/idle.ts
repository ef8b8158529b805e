// Idle and storm (docs/reliability.md): `conns` authenticated sockets held idle for `idleSec`
// (all still connected, server RSS sampled every second), then the server is SIGKILLed right
// after a burst of acked messages and started again: every client reconnects with jittered
// exponential backoff and resumes by seq. Time to 99 % resumed, nothing lost.

import { until } from "../test/cluster";
import { ChatClient, loadAverage, quantile, Sender, serverProc, users } from "./kit";

export interface IdleFigures {
  conns: number;
  users: number;
  idleSec: number;
  connectedAfterIdle: number;
  closesDuringIdle: number;
  rssKiB: { beforeConnect: number; connected: number; startOfIdle: number; endOfIdle: number; min: number; max: number };
  /** End of the idle period against its first second. */
  rssDriftPct: number;
  burstAcked: number;
  resumed99Ms: number | null;
  resumedAllMs: number | null;
  resumedWithin60s: number;
  missing: number;
  disorder: number;
  gaps: number;
  loadAverage: { start: string; end: string };
}

export async function runIdle(o: { conns: number; idleSec: number; userCount?: number; log?: (s: string) => void }): Promise<IdleFigures> {
  const log = o.log ?? (() => undefined);
  const load0 = loadAverage();
  const srv = await serverProc({ args: ["--replay-limit", "1000000"] });
  const clients: ChatClient[] = [];
  try {
    const userCount = Math.min(o.userCount ?? 100, o.conns);
    const { sessions, rooms } = await users(srv.url, userCount, 1);
    const room = rooms[0];
    const rssBefore = srv.rssKiB();
    for (let i = 0; i < o.conns; i++) {
      const c = new ChatClient(srv.wsUrl, sessions[i % userCount], { backoffBaseMs: 250, backoffCapMs: 8_000 });
      c.follow({ [room]: 0 });
      clients.push(c);
      c.start();
      // A few hundred handshakes at a time: the listen backlog is not what this measures.
      if (i % 200 === 199) await until(`${i + 1} connected`, () => clients.filter((x) => x.connected).length >= i + 1 - 50, 120_000);
    }
    await until("every client connected", () => clients.every((c) => c.connected), 120_000);
    log(`${o.conns} connected`);
    const rssConnected = srv.rssKiB();
    const rss: number[] = [];
    const closesBefore = clients.reduce((n, c) => n + c.closes.length, 0);
    const idleFrom = performance.now();
    while (performance.now() - idleFrom < o.idleSec * 1000) {
      await Bun.sleep(1000);
      rss.push(srv.rssKiB());
      if (rss.length % 60 === 0) log(`idle ${rss.length} s, RSS ${Math.round(rss.at(-1)! / 1024)} MiB`);
    }
    const connectedAfterIdle = clients.filter((c) => c.connected).length;
    const closesDuringIdle = clients.reduce((n, c) => n + c.closes.length, 0) - closesBefore;

    // A burst of acked messages, then a SIGKILL without waiting for their deliveries.
    const sender = new Sender(clients[0], room, "storm");
    sender.run(5);
    await until("100 acked", () => sender.acked.size >= 100);
    sender.pause();
    await until("the burst acked", () => sender.pending.size === 0);
    const head = Math.max(...sender.acked.values());
    await srv.kill();
    const welcomesBefore = clients.map((c) => c.welcomes.length);
    await srv.start();
    const upAt = performance.now();
    log("restarted; storm");
    const resumedAt = () => clients.map((c, i) => (c.welcomes.length > welcomesBefore[i] ? c.welcomes[welcomesBefore[i]] - upAt : Infinity));
    await until("99 % resumed", () => resumedAt().filter(Number.isFinite).length >= Math.ceil(o.conns * 0.99), 60_000).catch(() => undefined);
    await until("all resumed", () => resumedAt().every(Number.isFinite), 60_000).catch(() => undefined);
    await until("every client has the burst", () => clients.every((c) => (c.last.get(room) ?? 0) >= head), 60_000).catch(() => undefined);
    const times = resumedAt();
    const finite = times.filter(Number.isFinite);
    return {
      conns: o.conns, users: userCount, idleSec: o.idleSec, connectedAfterIdle, closesDuringIdle,
      rssKiB: { beforeConnect: rssBefore, connected: rssConnected, startOfIdle: rss[0], endOfIdle: rss.at(-1)!, min: Math.min(...rss), max: Math.max(...rss) },
      rssDriftPct: Math.round(((rss.at(-1)! - rss[0]) / rss[0]) * 1000) / 10,
      burstAcked: sender.acked.size,
      resumed99Ms: finite.length >= Math.ceil(o.conns * 0.99) ? Math.round(quantile(times, 0.99)) : null,
      resumedAllMs: finite.length === o.conns ? Math.round(Math.max(...finite)) : null,
      resumedWithin60s: times.filter((t) => t <= 60_000).length,
      missing: clients.reduce((n, c) => n + Math.max(0, head - (c.last.get(room) ?? 0)), 0),
      disorder: clients.reduce((n, c) => n + c.disorder.length, 0),
      gaps: clients.reduce((n, c) => n + c.gaps.length, 0),
      loadAverage: { start: load0, end: loadAverage() },
    };
  } finally {
    for (const c of clients) c.stop();
    await srv.dispose();
  }
}
