// Threads (protocol 1.2) over real sockets: replies as room events, the computed summary, thread history, refusals, unread, resume, notifications, search.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { until } from "../../test/cluster";
import { startPushService } from "../push/test-push-service";

let s: TestServer;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000 } });
  [alice, bob, carol] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

async function room3() {
  const room = await createRoom(s.url, alice, "public");
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, carol.accessToken);
  return room;
}
const say = async (c: Client, room: string, body: string, extra: object = {}) => {
  const r = await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...extra });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
};
const lastSeq = async (who: Session, room: string) => (await api(s.url, "GET", "/api/rooms", undefined, who.accessToken)).body.rooms.find((r: any) => r.id === room);
const at = async (c: Client, room: string, seq: number) => (await c.request({ type: "history", room, after: seq - 1, limit: 1 })).events[0];

describe("threads", () => {
  test("DEPTH-1 a reply is a room event with the next seq and threadRoot, reaches every member live; the root's history carries the computed summary", async () => {
    const room = await room3();
    const [a, b, c] = await Promise.all([Client.connect(s, alice), Client.connect(s, bob), Client.connect(s, carol)]);
    const root = await say(a, room, "lunch?");
    expect(await at(a, room, root.seq)).not.toHaveProperty("thread");
    const r1 = await say(b, room, "yes", { thread: root.seq });
    expect(r1).toMatchObject({ kind: "message", seq: root.seq + 1, threadRoot: root.seq, body: "yes" });
    expect(r1).not.toHaveProperty("alsoInRoom");
    await c.next((f) => f.type === "event" && f.event.seq === r1.seq && f.event.threadRoot === root.seq);
    const r2 = await say(c, room, "me too", { thread: root.seq, alsoInRoom: true });
    expect(r2).toMatchObject({ threadRoot: root.seq, alsoInRoom: true });
    await say(b, room, "at noon", { thread: root.seq });
    const h = await at(a, room, root.seq);
    expect(h.thread.replies).toBe(3);
    expect(h.thread.participants.sort()).toEqual([bob.user.id, carol.user.id].sort());
    expect(h.thread.lastReplyAt).toBeGreaterThanOrEqual(r2.ts);
    // The replies themselves carry no summary; an untouched message none either.
    expect(await at(a, room, r1.seq)).not.toHaveProperty("thread");
    for (const x of [a, b, c]) x.close();
  });

  test("DEPTH-2 refusals: a thread on a reply, on a non-message, on a deleted or unknown seq, alsoInRoom alone, a malformed root; nothing stored", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const root = await say(a, room, "root");
    const reply = await say(a, room, "reply", { thread: root.seq });
    const gone = await say(a, room, "gone");
    await a.request({ type: "delete", room, msgSeq: gone.seq });
    const before = (await lastSeq(alice, room)).lastSeq;
    const send = (extra: object) => a.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body: "x", ...extra });
    expect((await send({ thread: reply.seq })).code).toBe("invalid_request");
    expect((await send({ thread: 1 })).code).toBe("invalid_request"); // seq 1: the room's first join event
    expect((await send({ thread: gone.seq })).code).toBe("invalid_request");
    expect((await send({ thread: 99_999 })).code).toBe("not_found");
    expect((await send({ alsoInRoom: true })).code).toBe("invalid_request");
    expect((await send({ thread: "1" })).code).toBe("invalid_request");
    expect((await send({ thread: 0 })).code).toBe("invalid_request");
    expect((await send({ thread: 1.5 })).code).toBe("invalid_request");
    expect((await lastSeq(alice, room)).lastSeq).toBe(before);
    a.close();
  });

  test("DEPTH-3 history with thread: the root and its replies only, paged the same way; over HTTP too; a reply or unknown seq as root is refused", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const root = await say(a, room, "root");
    const replies = [];
    for (let i = 0; i < 5; i++) {
      await say(a, room, `noise ${i}`);
      replies.push(await say(a, room, `reply ${i}`, { thread: root.seq }));
    }
    const newest = await a.request({ type: "history", room, thread: root.seq, limit: 3 });
    expect(newest.events.map((e: any) => e.seq)).toEqual(replies.slice(2).map((r) => r.seq));
    expect(newest.hasMore).toBe(true);
    const older = await a.request({ type: "history", room, thread: root.seq, before: replies[2].seq, limit: 3 });
    expect(older.events.map((e: any) => e.seq)).toEqual([root.seq, replies[0].seq, replies[1].seq]);
    expect(older.hasMore).toBe(false);
    expect(older.events[0].thread.replies).toBe(5);
    const after = await a.request({ type: "history", room, thread: root.seq, after: root.seq, limit: 4 });
    expect(after.events.map((e: any) => e.seq)).toEqual(replies.slice(0, 4).map((r) => r.seq));
    expect(after.hasMore).toBe(true);
    const http = await api(s.url, "GET", `/api/rooms/${room}/messages?thread=${root.seq}&limit=200`, undefined, bob.accessToken);
    expect(http.status).toBe(200);
    expect(http.body.events.map((e: any) => e.seq)).toEqual([root.seq, ...replies.map((r) => r.seq)]);
    expect((await a.request({ type: "history", room, thread: replies[0].seq })).code).toBe("invalid_request");
    expect((await a.request({ type: "history", room, thread: 99_999 })).code).toBe("not_found");
    expect((await a.request({ type: "history", room, thread: -1 })).code).toBe("invalid_request");
    const stranger = await register(s.url);
    const priv = await createRoom(s.url, alice, "private");
    expect((await api(s.url, "GET", `/api/rooms/${priv}/messages?thread=1`, undefined, stranger.accessToken)).status).toBe(404);
    a.close();
  });

  test("DEPTH-4 the summary is computed: a deleted reply stops counting and stays in its thread as a tombstone; edits show in the thread", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const root = await say(a, room, "root");
    const r1 = await say(b, room, "one", { thread: root.seq });
    const r2 = await say(a, room, "two", { thread: root.seq });
    await b.request({ type: "delete", room, msgSeq: r1.seq });
    await a.request({ type: "edit", room, msgSeq: r2.seq, body: "two!" });
    const h = await at(a, room, root.seq);
    expect(h.thread).toEqual({ replies: 1, lastReplyAt: r2.ts, participants: [alice.user.id] });
    const t = await a.request({ type: "history", room, thread: root.seq });
    expect(t.events.map((e: any) => [e.seq, e.body, e.deleted ?? false, e.threadRoot])).toEqual([
      [root.seq, "root", false, undefined], [r1.seq, "", true, root.seq], [r2.seq, "two!", false, root.seq],
    ]);
    await a.request({ type: "delete", room, msgSeq: r2.seq });
    expect(await at(a, room, root.seq)).not.toHaveProperty("thread");
    a.close();
    b.close();
  });

  test("DEPTH-5 replies count as unread like any message (not one's own), and a resume replays them in order", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const root = await say(a, room, "root");
    await a.request({ type: "read", room, seq: root.seq });
    const bobBefore = (await lastSeq(bob, room)).unread;
    const since = (await lastSeq(carol, room)).lastSeq;
    const r1 = await say(a, room, "r1", { thread: root.seq });
    const r2 = await say(a, room, "r2", { thread: root.seq, alsoInRoom: true });
    expect((await lastSeq(bob, room)).unread).toBe(bobBefore + 2);
    expect((await lastSeq(alice, room)).unread).toBe(0);
    const c = await Client.connect(s, carol, { [room]: since });
    const replayed = await c.waitEvents(room, 2);
    expect(replayed.map((e: any) => [e.seq, e.threadRoot, e.alsoInRoom])).toEqual([[r1.seq, root.seq, undefined], [r2.seq, root.seq, true]]);
    await c.request({ type: "read", room, seq: r2.seq });
    expect((await lastSeq(carol, room)).unread).toBe(0);
    a.close();
    c.close();
  });

  test("DEPTH-6 a reply notifies the root's author and the thread's participants (kind thread), never the sender or bystanders; a mention stays a mention", async () => {
    const room = await room3();
    const dave = await register(s.url);
    await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, dave.accessToken);
    const [a, b, c, d] = await Promise.all([Client.connect(s, alice), Client.connect(s, bob), Client.connect(s, carol), Client.connect(s, dave)]);
    const root = await say(a, room, "root");
    const r1 = await say(b, room, "first", { thread: root.seq });
    const na = await a.next((f) => f.type === "notification" && f.seq === r1.seq);
    expect(na).toMatchObject({ kind: "thread", room, sender: bob.user.id, body: "first" });
    const r2 = await say(c, room, `second @${dave.user.username}`, { thread: root.seq });
    expect(await a.next((f) => f.type === "notification" && f.seq === r2.seq)).toMatchObject({ kind: "thread" });
    expect(await b.next((f) => f.type === "notification" && f.seq === r2.seq)).toMatchObject({ kind: "thread" });
    expect(await d.next((f) => f.type === "notification" && f.seq === r2.seq)).toMatchObject({ kind: "mention" });
    // A later reply by alice: bob and carol hear it, dave (mentioned once, never replied) does not.
    const r3 = await say(a, room, "third", { thread: root.seq });
    await b.next((f) => f.type === "notification" && f.seq === r3.seq);
    await c.next((f) => f.type === "notification" && f.seq === r3.seq);
    await d.request({ type: "ping" }); // anything for r3 would have reached dave before this pong
    expect(d.frames.some((f) => f.type === "notification" && f.seq === r3.seq)).toBe(false);
    expect(a.frames.some((f) => f.type === "notification" && f.seq === r3.seq)).toBe(false);
    for (const x of [a, b, c, d]) x.close();
  });

  test("DEPTH-7 search finds thread replies", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const root = await say(a, room, "root");
    const word = `zq${crypto.randomUUID().slice(0, 8)}`;
    const r = await say(a, room, `the ${word} is here`, { thread: root.seq });
    let hits: any[] = [];
    for (let i = 0; i < 100 && hits.length === 0; i++) {
      hits = (await api(s.url, "GET", `/api/search?q=${word}`, undefined, bob.accessToken)).body.results ?? [];
      if (hits.length === 0) await Bun.sleep(20);
    }
    expect(hits.map((h: any) => h.seq)).toEqual([r.seq]);
    a.close();
  });

  test("DEPTH-21 a reply reaches the root's author by Web Push when they are offline (kind thread), and nobody who blocked the replier", async () => {
    const svc = startPushService();
    const t = await startServer({ config: { pushAllowLoopbackHttp: true } });
    try {
      const [a, b, c] = await Promise.all([register(t.url), register(t.url), register(t.url)]);
      const room = await createRoom(t.url, a);
      for (const u of [b, c]) await api(t.url, "POST", `/api/rooms/${room}/join`, undefined, u.accessToken);
      const subA = await svc.subscriber();
      const subC = await svc.subscriber();
      expect((await api(t.url, "POST", "/api/push/subscriptions", subA.subscription, a.accessToken)).status).toBe(201);
      expect((await api(t.url, "POST", "/api/push/subscriptions", subC.subscription, c.accessToken)).status).toBe(201);
      const ca = await Client.connect(t, a);
      const cc = await Client.connect(t, c);
      const root = (await ca.request({ type: "send", room, clientMsgId: "root", body: "root" })).event;
      await cc.request({ type: "send", room, clientMsgId: "c1", body: "me first", thread: root.seq });
      expect((await api(t.url, "PUT", `/api/me/blocks/${b.user.id}`, undefined, c.accessToken)).status).toBe(204);
      for (const x of [ca, cc]) {
        x.close();
        await x.closed;
      }
      await until("a and c to be offline", () => !t.ctx.presence.hasConnection(a.user.id) && !t.ctx.presence.hasConnection(c.user.id));
      const cb = await Client.connect(t, b);
      const r = (await cb.request({ type: "send", room, clientMsgId: "b1", body: "a reply", thread: root.seq })).event;
      await until("the reply to be pushed to a", () => subA.received.length > 0);
      expect(JSON.parse(subA.received[0].plaintext)).toMatchObject({ kind: "thread", title: "New reply in a thread", room, seq: r.seq, body: "a reply" });
      // c replied in the thread too, but blocked b: a later push to a proves the reply's notify is done.
      const r2 = (await cb.request({ type: "send", room, clientMsgId: "b2", body: "again", thread: root.seq })).event;
      await until("the second reply to be pushed to a", () => subA.received.length > 1);
      expect(JSON.parse(subA.received[1].plaintext)).toMatchObject({ seq: r2.seq });
      expect(subC.received).toHaveLength(0);
      cb.close();
    } finally {
      await t.stop();
      svc.stop();
    }
  });
});
