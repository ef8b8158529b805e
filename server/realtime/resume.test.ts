// Resume and history over real sockets: replay after a disconnect, gap past the bound, paging, live handoff.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../test/harness";

let s: TestServer;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 100_000, writeRatePerSec: 100_000, replayLimit: 500 } });
  alice = await register(s.url);
  bob = await register(s.url);
});
afterAll(() => s.stop());

async function sharedRoom(): Promise<string> {
  const room = await createRoom(s.url, alice);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  return room;
}

async function sendMany(c: Client, room: string, n: number, tag: string) {
  const acks = await Promise.all(Array.from({ length: n }, (_, i) => c.request({ type: "send", room, clientMsgId: `${tag}-${i}`, body: `${tag} ${i}` })));
  return acks.map((a) => a.event.seq as number);
}

const lastSeqOf = (c: Client, room: string) => Math.max(...c.events(room).map((e) => e.seq), c.frames[0].rooms.find((r: any) => r.id === room)?.lastSeq ?? 0);

describe("resume", () => {
  test("RESUME-1 after a disconnect during which 300 messages were sent, hello with since replays exactly those, in order", async () => {
    const room = await sharedRoom();
    const b1 = await Client.connect(s, bob);
    const a = await Client.connect(s, alice);
    await sendMany(a, room, 5, "before");
    await b1.waitEvents(room, 5, "message");
    const since = lastSeqOf(b1, room);
    b1.close();
    await b1.closed;
    const missed = await sendMany(a, room, 300, "missed");
    const b2 = await Client.connect(s, bob, { [room]: since });
    const got = await b2.waitEvents(room, 300);
    expect(got.map((e) => e.seq)).toEqual(missed);
    expect(b2.frames.some((f) => f.type === "gap")).toBe(false);
    // Live events continue right after the replay, once each.
    const live = await sendMany(a, room, 3, "live");
    const all = (await b2.waitEvents(room, 303)).map((e) => e.seq);
    expect(all).toEqual([...missed, ...live]);
    a.close();
    b2.close();
  });

  test("RESUME-2 resuming while messages keep flowing gives no gap and no duplicate", async () => {
    const room = await sharedRoom();
    const a = await Client.connect(s, alice);
    const first = await sendMany(a, room, 20, "pre");
    const since = first[9];
    const flowing = sendMany(a, room, 200, "during");
    const b = await Client.connect(s, bob, { [room]: since });
    const during = await flowing;
    const expected = [...first.slice(10), ...during];
    const got = (await b.waitEvents(room, expected.length)).map((e) => e.seq);
    expect(got).toEqual(expected);
    a.close();
    b.close();
  });

  test("RESUME-3 more missed than the replay bound: gap names the inclusive range not replayed, then the newest events follow", async () => {
    const room = await sharedRoom();
    const a = await Client.connect(s, alice);
    const seqs = await sendMany(a, room, 600, "bulk");
    const since = seqs[0] - 1;
    const b = await Client.connect(s, bob, { [room]: since });
    const gap = await b.next((f) => f.type === "gap" && f.room === room);
    const last = seqs[seqs.length - 1];
    expect(gap.fromSeq).toBe(since + 1);
    expect(gap.toSeq).toBe(last - 500);
    const replay = (await b.waitEvents(room, 500)).map((e) => e.seq);
    expect(replay).toEqual(Array.from({ length: 500 }, (_, i) => gap.toSeq + 1 + i));
    // The gap is pageable with history: gap + replay cover every missed event.
    const paged: number[] = [];
    let after = gap.fromSeq - 1;
    for (;;) {
      const h = await b.request({ type: "history", room, after, limit: 200 });
      const inGap = h.events.filter((e: any) => e.seq <= gap.toSeq);
      paged.push(...inGap.map((e: any) => e.seq));
      if (inGap.length < h.events.length || !h.hasMore) break;
      after = h.events[h.events.length - 1].seq;
    }
    expect([...paged, ...replay]).toEqual(Array.from({ length: last - since }, (_, i) => since + 1 + i));
    a.close();
    b.close();
  });

  test("RESUME-4 since for a room the user is not in is answered with an error naming the room; nothing is replayed", async () => {
    const priv = await createRoom(s.url, alice, "private");
    const pub = await createRoom(s.url, alice, "public");
    const b = await Client.connect(s, bob, { [priv]: 0, [pub]: 0 });
    const errs = await Promise.all([priv, pub].map((r) => b.next((f) => f.type === "error" && f.room === r)));
    expect(errs.map((e) => e.code)).toEqual(["not_found", "forbidden"]);
    expect(b.events(priv)).toHaveLength(0);
    expect(b.events(pub)).toHaveLength(0);
    b.close();
  });

  test("RESUME-5 a room joined while connected starts delivering at the join event", async () => {
    const room = await createRoom(s.url, alice);
    const b = await Client.connect(s, bob);
    await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
    const join = await b.next((f) => f.type === "event" && f.event.room === room && f.event.kind === "member");
    expect(join.event).toMatchObject({ userId: bob.user.id, change: "join" });
    const a = await Client.connect(s, alice);
    const [seq] = await sendMany(a, room, 1, "welcome-bob");
    expect((await b.next((f) => f.type === "event" && f.event.seq === seq)).event.body).toBe("welcome-bob 0");
    a.close();
    b.close();
  });

  test("RESUME-6 a kicked member's open socket stops receiving the room at once", async () => {
    const room = await sharedRoom();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const k = await api(s.url, "DELETE", `/api/rooms/${room}/members/${bob.user.id}`, undefined, alice.accessToken);
    expect(k.status).toBe(204);
    await b.next((f) => f.type === "event" && f.event.kind === "member" && f.event.change === "kick");
    const [after] = await sendMany(a, room, 1, "secret");
    await a.next((f) => f.type === "event" && f.event.seq === after);
    const marker = await createRoom(s.url, bob); // a later event on b's socket proves ordering
    await b.next((f) => f.type === "event" && f.event.room === marker);
    expect(b.events(room).some((e) => e.seq === after)).toBe(false);
    expect((await b.request({ type: "send", room, clientMsgId: "x", body: "still here?" })).code).toBe("forbidden");
    a.close();
    b.close();
  });
});

describe("history", () => {
  test("HIST-1 newest page by default, then paging back with before, and forward with after; hasMore both ways", async () => {
    const room = await sharedRoom();
    const a = await Client.connect(s, alice);
    const seqs = await sendMany(a, room, 120, "h");
    const all = [1, 2, ...seqs]; // 1: alice joins (room created), 2: bob joins
    const newest = await api(s.url, "GET", `/api/rooms/${room}/messages?limit=50`, undefined, bob.accessToken);
    expect(newest.status).toBe(200);
    expect(newest.body.events.map((e: any) => e.seq)).toEqual(all.slice(-50));
    expect(newest.body.hasMore).toBe(true);
    const back: number[] = [];
    let before = newest.body.events[0].seq;
    for (;;) {
      const p = await a.request({ type: "history", room, before, limit: 50 });
      back.unshift(...p.events.map((e: any) => e.seq));
      if (!p.hasMore) break;
      before = p.events[0].seq;
    }
    expect([...back, ...newest.body.events.map((e: any) => e.seq)]).toEqual(all);
    const fwd: number[] = [];
    let after = 0;
    for (;;) {
      const p = await api(s.url, "GET", `/api/rooms/${room}/messages?after=${after}&limit=50`, undefined, bob.accessToken);
      fwd.push(...p.body.events.map((e: any) => e.seq));
      if (!p.body.hasMore) break;
      after = fwd[fwd.length - 1];
    }
    expect(fwd).toEqual(all);
    a.close();
  });

  test("HIST-2 limit is clamped to 200; bad query values are 400; non-members get 403/404", async () => {
    const room = await sharedRoom();
    const a = await Client.connect(s, alice);
    await sendMany(a, room, 210, "c");
    const big = await api(s.url, "GET", `/api/rooms/${room}/messages?limit=1000`, undefined, alice.accessToken);
    expect(big.body.events).toHaveLength(200);
    expect((await api(s.url, "GET", `/api/rooms/${room}/messages?limit=abc`, undefined, alice.accessToken)).status).toBe(400);
    for (const bad of ["before=-3", "before=-1", "after=-1", "limit=0", "limit=-2"]) {
      expect((await api(s.url, "GET", `/api/rooms/${room}/messages?${bad}`, undefined, alice.accessToken)).status).toBe(400);
    }
    const eve = await register(s.url);
    expect((await api(s.url, "GET", `/api/rooms/${room}/messages`, undefined, eve.accessToken)).status).toBe(403);
    const priv = await createRoom(s.url, alice, "private");
    const hidden = await api(s.url, "GET", `/api/rooms/${priv}/messages`, undefined, eve.accessToken);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe("not_found");
    expect((await api(s.url, "GET", `/api/rooms/${room}/messages`)).status).toBe(401);
    a.close();
  });

  test("HIST-3 the newest page (kept while the room's head stands) shows every change right after its ack, over HTTP and WS; a member who left is refused it", async () => {
    const room = await sharedRoom();
    const a = await Client.connect(s, alice);
    const seqs = await sendMany(a, room, 60, "p");
    const [root, first] = seqs.slice(-2);
    // The truth: the same page read with `before` past the head, which is never kept.
    const truth = async (q: string) => (await api(s.url, "GET", `/api/rooms/${room}/messages?before=1000000&${q}`, undefined, alice.accessToken)).body;
    const check = async () => {
      for (const q of ["limit=50", "limit=10", `thread=${root}`]) {
        const want = await truth(q);
        for (let i = 0; i < 2; i++) { // the second read is served from the kept page
          const http = await api(s.url, "GET", `/api/rooms/${room}/messages?${q}`, undefined, bob.accessToken);
          expect(http.status).toBe(200);
          expect(http.headers.get("content-type")).toStartWith("application/json");
          expect(http.body).toEqual(want);
          const [k, v] = q.split("=");
          const ws = await a.request({ type: "history", room, [k]: Number(v) });
          expect({ events: ws.events, hasMore: ws.hasMore }).toEqual(want);
        }
      }
    };
    await check();
    const changes: Record<string, unknown>[] = [
      { type: "send", room, clientMsgId: "p-new", body: "new" },
      { type: "edit", room, msgSeq: first, body: "edited" },
      { type: "react", room, msgSeq: root, emoji: "👍", on: true },
      { type: "send", room, clientMsgId: "p-reply", body: "in the thread", thread: root },
      { type: "delete", room, msgSeq: first },
      { type: "react", room, msgSeq: root, emoji: "👍", on: false },
    ];
    for (const f of changes) {
      expect((await a.request(f)).type).toBe("ok");
      await check();
    }
    const page = await truth("limit=50");
    expect(page.events.find((e: any) => e.seq === first).deleted).toBe(true);
    expect(page.events.find((e: any) => e.seq === root).thread.replies).toBe(1);
    expect((await api(s.url, "POST", `/api/rooms/${room}/leave`, undefined, bob.accessToken)).status).toBeLessThan(300);
    expect((await api(s.url, "GET", `/api/rooms/${room}/messages?limit=50`, undefined, bob.accessToken)).status).toBe(403);
    a.close();
  });
});
