// Message actions over real sockets: edit, delete, react, reply, mentions, receipts, unread counts, notifications.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";
import { LIMITS } from "../../protocol/types";
import { expireMessages } from "../expiry/scan";
import { createMessages } from "./service";
import type { AppError } from "../../errors";

let s: TestServer;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000 } });
  [alice, bob, carol] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

async function room3(kind: "public" | "private" = "public") {
  const room = await createRoom(s.url, alice, kind);
  if (kind === "public") {
    await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
    await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, carol.accessToken);
  } else {
    await api(s.url, "POST", `/api/rooms/${room}/members`, { username: bob.user.username }, alice.accessToken);
    await api(s.url, "POST", `/api/rooms/${room}/members`, { username: carol.user.username }, alice.accessToken);
  }
  return room;
}

const say = async (c: Client, room: string, body: string, extra: object = {}) => {
  const r = await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body, ...extra });
  if (r.type !== "ok") throw new Error(JSON.stringify(r));
  return r.event;
};
const roomOf = async (who: Session, room: string) => (await api(s.url, "GET", "/api/rooms", undefined, who.accessToken)).body.rooms.find((r: any) => r.id === room);

describe("edit, delete, react, reply", () => {
  test("MSG-EDIT-1 the sender edits: an edit event, history shows the new body with editedAt; others cannot edit", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const m = await say(a, room, "helo");
    const ok = await a.request({ type: "edit", room, msgSeq: m.seq, body: "hello" });
    expect(ok.event).toMatchObject({ kind: "edit", msgSeq: m.seq, body: "hello", sender: alice.user.id });
    await b.next((f) => f.type === "event" && f.event.kind === "edit" && f.event.msgSeq === m.seq);
    const h = await b.request({ type: "history", room, after: m.seq - 1, limit: 1 });
    expect(h.events[0]).toMatchObject({ seq: m.seq, body: "hello" });
    expect(typeof h.events[0].editedAt).toBe("number");
    expect((await b.request({ type: "edit", room, msgSeq: m.seq, body: "hijack" })).code).toBe("forbidden");
    expect((await a.request({ type: "edit", room, msgSeq: 1, body: "x" })).code).toBe("not_found"); // seq 1 is a join event
    expect((await a.request({ type: "edit", room, msgSeq: 9999, body: "x" })).code).toBe("not_found");
    expect((await a.request({ type: "edit", room, msgSeq: m.seq, body: "a".repeat(4001) })).code).toBe("invalid_request");
    a.close();
    b.close();
  });

  test("MSG-DEL-1 sender or room admin deletes; the body is gone from storage and history, a tombstone remains", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const mine = await say(b, room, "bob's secret");
    await b.request({ type: "edit", room, msgSeq: mine.seq, body: "bob's edited secret" });
    const other = await say(b, room, "bob again");
    expect((await (await Client.connect(s, carol)).request({ type: "delete", room, msgSeq: other.seq })).code).toBe("forbidden");
    const d1 = await b.request({ type: "delete", room, msgSeq: mine.seq }); // sender
    expect(d1.event).toMatchObject({ kind: "delete", msgSeq: mine.seq });
    const d2 = await a.request({ type: "delete", room, msgSeq: other.seq }); // room owner
    expect(d2.type).toBe("ok");
    const h = await a.request({ type: "history", room, limit: 50 });
    const tomb = h.events.find((e: any) => e.seq === mine.seq);
    expect(tomb).toMatchObject({ kind: "message", deleted: true, body: "" });
    expect(JSON.stringify(h.events)).not.toContain("secret");
    const raw = await s.ctx.store.events(room, { limit: 200 });
    expect(JSON.stringify(raw)).not.toContain("secret");
    expect((await b.request({ type: "delete", room, msgSeq: mine.seq })).code).toBe("not_found");
    a.close();
    b.close();
  });

  test("MSG-DEL-2 the sender, a room admin and the expiry job delete one message at once: one delete event, the other clients get not_found, seqs stay gapless", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    // Called in one turn, all three pass the "not deleted" check before any commits: the store decides.
    const service = createMessages(s.ctx);
    const m0 = await say(b, room, "doomed in one batch");
    const settled = await Promise.allSettled([
      service.remove(bob.user.id, { room, msgSeq: m0.seq }),
      service.remove(alice.user.id, { room, msgSeq: m0.seq }),
      expireMessages(s.ctx, [{ room, seq: m0.seq, sender: bob.user.id }], async () => {}),
    ]);
    const [bySender, byAdmin, job] = settled;
    const won = [bySender, byAdmin].filter((r) => r.status === "fulfilled").length + (job.status === "fulfilled" ? job.value : NaN);
    expect(won).toBe(1);
    for (const r of [bySender, byAdmin]) if (r.status === "rejected") expect((r.reason as AppError).code).toBe("not_found");
    // Over the sockets, whichever gets there first.
    for (let round = 0; round < 4; round++) {
      const m = await say(b, room, `doomed ${round}`);
      const [bySender, byAdmin, expired] = await Promise.all([
        b.request({ type: "delete", room, msgSeq: m.seq }),
        a.request({ type: "delete", room, msgSeq: m.seq }),
        expireMessages(s.ctx, [{ room, seq: m.seq, sender: bob.user.id }], async () => {}),
      ]);
      const oks = [bySender, byAdmin].filter((r) => r.type === "ok").length;
      expect(oks + expired).toBe(1);
      for (const r of [bySender, byAdmin]) if (r.type !== "ok") expect(r.code).toBe("not_found");
    }
    const h = (await s.ctx.store.events(room, { limit: 200 })).events;
    expect(h.map((e) => e.seq)).toEqual(h.map((_, i) => i + 1));
    const deleted = h.filter((e) => e.kind === "delete").map((e: any) => e.msgSeq);
    expect(deleted).toHaveLength(5);
    expect(new Set(deleted).size).toBe(5);
    a.close();
    b.close();
  });

  test("MSG-REACT-1 one reaction per user per emoji; counts in history; off removes; repeats change nothing", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const m = await say(a, room, "react to me");
    const r1 = await b.request({ type: "react", room, msgSeq: m.seq, emoji: "👍", on: true });
    expect(r1.event).toMatchObject({ kind: "reaction", msgSeq: m.seq, emoji: "👍", on: true, sender: bob.user.id });
    const again = await b.request({ type: "react", room, msgSeq: m.seq, emoji: "👍", on: true });
    expect(again.type).toBe("ok");
    expect(again.event).toBeUndefined();
    await a.request({ type: "react", room, msgSeq: m.seq, emoji: "👍", on: true });
    await a.request({ type: "react", room, msgSeq: m.seq, emoji: "🎉", on: true });
    let h = await a.request({ type: "history", room, after: m.seq - 1, limit: 1 });
    expect(h.events[0].reactions["👍"].sort()).toEqual([alice.user.id, bob.user.id].sort());
    expect(h.events[0].reactions["🎉"]).toEqual([alice.user.id]);
    await b.request({ type: "react", room, msgSeq: m.seq, emoji: "👍", on: false });
    h = await a.request({ type: "history", room, after: m.seq - 1, limit: 1 });
    expect(h.events[0].reactions["👍"]).toEqual([alice.user.id]);
    expect((await b.request({ type: "react", room, msgSeq: m.seq, emoji: "no way", on: true })).code).toBe("invalid_request");
    expect((await b.request({ type: "react", room, msgSeq: 9999, emoji: "👍", on: true })).code).toBe("not_found");
    a.close();
    b.close();
  });

  test("MSG-REPLY-1 replyTo a message in the same room; history carries a preview of the quoted message", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const q = await say(a, room, "the original question");
    const r = await say(a, room, "the answer", { replyTo: q.seq });
    expect(r.replyTo).toBe(q.seq);
    expect(r.replyPreview).toMatchObject({ seq: q.seq, sender: alice.user.id, body: "the original question" });
    const h = await a.request({ type: "history", room, after: r.seq - 1, limit: 1 });
    expect(h.events[0].replyPreview.body).toBe("the original question");
    expect((await a.request({ type: "send", room, clientMsgId: "bad-reply", body: "x", replyTo: 1 })).code).toBe("invalid_request");
    expect((await a.request({ type: "send", room, clientMsgId: "bad-reply2", body: "x", replyTo: 99999 })).code).toBe("invalid_request");
    a.close();
  });

  test("MSG-MENTION-1 @username is parsed server-side into mentions (members only); the mentioned user gets a notification", async () => {
    const room = await room3();
    const outsider = await register(s.url);
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const m = await say(a, room, `hey @${bob.user.username.toUpperCase()} and @${outsider.user.username}, also email@${carol.user.username}`);
    expect(m.mentions).toEqual([bob.user.id]);
    const n = await b.next((f) => f.type === "notification");
    expect(n).toMatchObject({ kind: "mention", room, seq: m.seq, sender: alice.user.id });
    a.close();
    b.close();
  });
});

describe("read receipts and unread counts", () => {
  test("READ-1 unread counts messages after the mark, not mine, not deleted; read moves forward only; others get receipts", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const base = (await roomOf(bob, room)).unread;
    expect(base).toBe(0);
    const m1 = await say(a, room, "one");
    await say(a, room, "two");
    const m3 = await say(a, room, `three @${bob.user.username}`);
    await say(b, room, "my own message");
    let r = await roomOf(bob, room);
    expect(r.unread).toBe(3);
    expect(r.mentions).toBe(1);
    await a.request({ type: "delete", room, msgSeq: m1.seq });
    r = await roomOf(bob, room);
    expect(r.unread).toBe(2);
    await a.request({ type: "delete", room, msgSeq: m3.seq });
    r = await roomOf(bob, room);
    expect(r.unread).toBe(1);
    expect(r.mentions).toBe(0);
    const read = await b.request({ type: "read", room, seq: r.lastSeq });
    expect(read.seq).toBe(r.lastSeq);
    const receipt = await a.next((f) => f.type === "receipt" && f.userId === bob.user.id && f.room === room);
    expect(receipt.seq).toBe(r.lastSeq);
    expect((await roomOf(bob, room)).unread).toBe(0);
    const back = await b.request({ type: "read", room, seq: 1 });
    expect(back.seq).toBe(r.lastSeq); // never backwards
    const beyond = await b.request({ type: "read", room, seq: 1_000_000 });
    expect(beyond.seq).toBe(r.lastSeq); // never past the end
    await say(a, room, "after read");
    expect((await roomOf(bob, room)).unread).toBe(1);
    const w = await Client.connect(s, bob);
    expect(w.frames[0].rooms.find((x: any) => x.id === room).unread).toBe(1);
    for (const c of [a, b, w]) c.close();
  });

  test("READ-4 unread stops counting at UNREAD_COUNT_MAX (\"99+\"); mentions beyond it are still exact; reading brings both to 0", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const n = LIMITS.UNREAD_COUNT_MAX + 5;
    const sent = await Promise.all(Array.from({ length: n }, (_, i) => say(a, room, i < 2 ? `hey @${bob.user.username} ${i}` : `bulk ${i}`)));
    let r = await roomOf(bob, room);
    expect(r.unread).toBe(LIMITS.UNREAD_COUNT_MAX);
    expect(r.mentions).toBe(2);
    await b.request({ type: "read", room, seq: Math.max(...sent.map((e: any) => e.seq)) - 3 });
    expect((await roomOf(bob, room)).unread).toBe(3); // under the cap: exact again
    await b.request({ type: "read", room, seq: r.lastSeq + n });
    r = await roomOf(bob, room);
    expect([r.unread, r.mentions]).toEqual([0, 0]);
    for (const c of [a, b]) c.close();
  });

  test("READ-2 in a DM every unread message counts as a mention; the peer is notified", async () => {
    const dm = (await api(s.url, "POST", "/api/dm", { username: carol.user.username }, bob.accessToken)).body.room.id;
    const b = await Client.connect(s, bob);
    const c = await Client.connect(s, carol);
    const m = await say(b, dm, "psst");
    const n = await c.next((f) => f.type === "notification" && f.kind === "dm");
    expect(n).toMatchObject({ room: dm, seq: m.seq, body: "psst" });
    const r = await roomOf(carol, dm);
    expect(r.unread).toBe(1);
    expect(r.mentions).toBe(1);
    b.close();
    c.close();
  });

  test("READ-3 a muted room sends no notifications", async () => {
    const room = await room3();
    const mute = await api(s.url, "PUT", `/api/rooms/${room}/notifications`, { muted: true }, bob.accessToken);
    expect(mute.status).toBe(204);
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    await say(a, room, `@${bob.user.username} are you there?`);
    const marker = await say(a, room, "marker");
    await b.next((f) => f.type === "event" && f.event.seq === marker.seq);
    expect(b.frames.some((f) => f.type === "notification" && f.room === room)).toBe(false);
    expect((await roomOf(bob, room)).notificationsMuted).toBe(true);
    a.close();
    b.close();
  });
});

describe("typing", () => {
  test("TYPING-1 typing reaches the others with expiresAt 5 s ahead, throttled to one per second, never stored", async () => {
    const room = await room3();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const before = Date.now();
    for (let i = 0; i < 5; i++) a.send({ type: "typing", room });
    const t = await b.next((f) => f.type === "typing" && f.room === room);
    expect(t.userId).toBe(alice.user.id);
    expect(t.expiresAt).toBeGreaterThanOrEqual(before + 5000);
    expect(t.expiresAt).toBeLessThan(before + 5000 + 2000);
    const marker = await say(a, room, "marker");
    await b.next((f) => f.type === "event" && f.event.seq === marker.seq);
    expect(b.frames.filter((f) => f.type === "typing" && f.room === room)).toHaveLength(1);
    const h = await b.request({ type: "history", room, limit: 200 });
    expect(h.events.some((e: any) => e.kind === "typing")).toBe(false);
    a.close();
    b.close();
  });
});
