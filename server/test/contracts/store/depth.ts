// Store contract, conversation depth (protocol 1.2): thread summaries and thread pages, delivered marks, blocks.

import { describe, expect, test } from "bun:test";
import type { MessageEvent } from "../../../protocol/types";
import { deleteEv, editEv, memberEv, msg, newRoom, newUser, one, seqs, tick, uniq, useFreshStore, type StoreFactory } from "./fixtures";

/** A thread reply as the messages feature stores it: threadRoot in the event's data. */
const reply = (room: string, sender: string, root: number, body: string, extra: Record<string, unknown> = {}) => msg(room, sender, body, { data: { threadRoot: root, ...extra } });

export function depthRules(factory: StoreFactory) {
  describe("conversation depth", () => {
    const fresh = useFreshStore(factory);

    test("STORE-120 a top-level message with live replies carries thread {replies, lastReplyAt, participants}, computed on each read; replies and others carry none", async () => {
      const s = fresh.store;
      const [u, v] = [await newUser(s), await newUser(s)];
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      const root = await one<MessageEvent>(s, msg(room, u.id, "root"));
      const lonely = await one<MessageEvent>(s, msg(room, u.id, "no replies"));
      const r1 = await one<MessageEvent>(s, reply(room, v.id, root.seq, "a"));
      expect(r1.threadRoot).toBe(root.seq);
      const r2 = await one<MessageEvent>(s, reply(room, u.id, root.seq, "b"));
      await one(s, reply(room, v.id, root.seq, "c"));
      const r4 = await one<MessageEvent>(s, reply(room, v.id, root.seq, "d"));
      const page = (await s.events(room, { after: root.seq - 1, limit: 10 })).events as MessageEvent[];
      const got = page.find((e) => e.seq === root.seq)!;
      expect({ ...got.thread!, participants: [...got.thread!.participants].sort() }).toEqual({ replies: 4, lastReplyAt: r4.ts, participants: [u.id, v.id].sort() });
      expect(page.find((e) => e.seq === lonely.seq)).not.toHaveProperty("thread");
      expect(page.find((e) => e.seq === r1.seq)).not.toHaveProperty("thread");
      // A page holding only the root still sees every reply.
      expect(((await s.events(room, { after: root.seq - 1, before: root.seq + 1, limit: 1 })).events[0] as MessageEvent).thread?.replies).toBe(4);
      // Deleting replies: they stop counting at once.
      await one(s, deleteEv(room, u.id, r2.seq));
      await one(s, deleteEv(room, v.id, r4.seq));
      const after = ((await s.events(room, { after: root.seq - 1, before: root.seq + 1, limit: 1 })).events[0] as MessageEvent).thread!;
      expect(after.replies).toBe(2);
      expect(after.participants).toEqual([v.id]);
    });

    test("STORE-121 events with `thread`: the root and its replies only, paged like the room (newest, before, after, hasMore); another thread's replies never", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const root = await one(s, msg(room, u.id, "root"));
      const other = await one(s, msg(room, u.id, "other root"));
      const mine: number[] = [];
      for (let i = 0; i < 4; i++) {
        await one(s, msg(room, u.id, `noise ${i}`));
        await one(s, reply(room, u.id, other.seq, `elsewhere ${i}`));
        mine.push((await one(s, reply(room, u.id, root.seq, `r${i}`))).seq);
      }
      await one(s, editEv(room, u.id, mine[0], "r0 edited"));
      const newest = await s.events(room, { thread: root.seq, limit: 2 });
      expect([seqs(newest.events), newest.hasMore]).toEqual([mine.slice(2), true]);
      const older = await s.events(room, { thread: root.seq, before: mine[2], limit: 10 });
      expect([seqs(older.events), older.hasMore]).toEqual([[root.seq, mine[0], mine[1]], false]);
      expect((older.events[1] as MessageEvent).body).toBe("r0 edited");
      const fwd = await s.events(room, { thread: root.seq, after: root.seq, limit: 3 });
      expect([seqs(fwd.events), fwd.hasMore]).toEqual([mine.slice(0, 3), true]);
      expect(seqs((await s.events(room, { thread: root.seq, after: mine[0], before: mine[3], limit: 10 })).events)).toEqual([mine[1], mine[2]]);
      expect((await s.events(room, { thread: 99_999, limit: 10 })).events).toEqual([]);
      expect((await s.events(uniq("noroom"), { thread: 1, limit: 10 })).events).toEqual([]);
    });

    test("STORE-122 a deleted reply's tombstone keeps its threadRoot (and nothing else of its data): it stays in its thread page", async () => {
      const s = fresh.store;
      const [u, v] = [await newUser(s), await newUser(s)];
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      const root = await one(s, msg(room, u.id, "root"));
      const r = await one(s, reply(room, u.id, root.seq, `hi @x`, { alsoInRoom: true, mentions: [v.id] }));
      await one(s, deleteEv(room, u.id, r.seq));
      const [t] = (await s.events(room, { after: r.seq - 1, limit: 1 })).events as MessageEvent[];
      expect(t).toMatchObject({ seq: r.seq, deleted: true, body: "", threadRoot: root.seq });
      expect(t).not.toHaveProperty("alsoInRoom");
      expect(t).not.toHaveProperty("mentions");
      expect(seqs((await s.events(room, { thread: root.seq, limit: 10 })).events)).toEqual([root.seq, r.seq]);
      // A deleted root keeps its thread: its live replies still count under the tombstone.
      const live = await one(s, reply(room, v.id, root.seq, "still here"));
      await one(s, deleteEv(room, u.id, root.seq));
      const [gone] = (await s.events(room, { after: root.seq - 1, limit: 1 })).events as MessageEvent[];
      expect(gone).toMatchObject({ deleted: true, thread: { replies: 1, lastReplyAt: live.ts, participants: [v.id] } });
      expect(seqs((await s.events(room, { thread: root.seq, limit: 10 })).events)).toEqual([root.seq, r.seq, live.seq]);
      // A deleted top-level message keeps no data at all.
      const plain = await one(s, msg(room, u.id, "plain", { data: { mentions: [v.id] } }));
      await one(s, deleteEv(room, u.id, plain.seq));
      const [p] = (await s.events(room, { after: plain.seq - 1, limit: 1 })).events;
      expect(p).not.toHaveProperty("threadRoot");
      expect(p).not.toHaveProperty("mentions");
    });

    test("STORE-123 a reply keeps threadRoot and alsoInRoom on append and in history; an edit changes neither", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const root = await one(s, msg(room, u.id, "root"));
      const r = await one<MessageEvent>(s, reply(room, u.id, root.seq, "shown", { alsoInRoom: true }));
      expect(r).toMatchObject({ threadRoot: root.seq, alsoInRoom: true });
      await one(s, editEv(room, u.id, r.seq, "shown, edited"));
      const [h] = (await s.events(room, { after: r.seq - 1, limit: 1 })).events as MessageEvent[];
      expect(h).toMatchObject({ seq: r.seq, body: "shown, edited", threadRoot: root.seq, alsoInRoom: true });
    });

    test("STORE-124 advanceRead raises the delivered mark with it; deliveredSeq is never below readSeq", async () => {
      const s = fresh.store;
      const [u, v] = [await newUser(s), await newUser(s)];
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      const m = await one(s, msg(room, u.id, "x"));
      await one(s, msg(room, u.id, "y"));
      expect((await s.member(room, v.id))!.deliveredSeq).toBe((await s.member(room, v.id))!.readSeq);
      await s.advanceRead(room, v.id, m.seq);
      expect(await s.member(room, v.id)).toMatchObject({ readSeq: m.seq, deliveredSeq: m.seq });
      expect((await s.members(room)).find((x) => x.userId === v.id)).toMatchObject({ readSeq: m.seq, deliveredSeq: m.seq });
    });

    test("STORE-125 advanceDelivered: forward only, capped at the room's last seq, many marks in one call; non-members and unknown rooms change nothing", async () => {
      const s = fresh.store;
      const [u, v, w] = [await newUser(s), await newUser(s), await newUser(s)];
      const a = (await newRoom(s, u.id, { members: [v.id] })).id;
      const b = (await newRoom(s, u.id, { members: [v.id] })).id;
      for (let i = 0; i < 5; i++) await one(s, msg(a, u.id, `a${i}`));
      const lastB = (await one(s, msg(b, u.id, "b"))).seq;
      const lastA = await s.lastSeq(a);
      await s.advanceDelivered([
        { roomId: a, userId: v.id, seq: lastA - 1 },
        { roomId: b, userId: v.id, seq: 1_000 },
        { roomId: a, userId: u.id, seq: lastA },
        { roomId: a, userId: w.id, seq: lastA }, // not a member
        { roomId: uniq("noroom"), userId: v.id, seq: 3 },
      ]);
      expect((await s.member(a, v.id))!.deliveredSeq).toBe(lastA - 1);
      expect((await s.member(b, v.id))!.deliveredSeq).toBe(lastB);
      expect((await s.member(a, u.id))!.deliveredSeq).toBe(lastA);
      expect(await s.member(a, w.id)).toBeUndefined();
      await s.advanceDelivered([{ roomId: a, userId: v.id, seq: 2 }]); // backwards: kept
      expect((await s.member(a, v.id))!.deliveredSeq).toBe(lastA - 1);
      await s.advanceDelivered([]);
      // The read mark is untouched by delivery.
      expect((await s.member(a, v.id))!.readSeq).toBeLessThan(lastA - 1);
    });

    test("STORE-126 advanceDelivered with the same member twice in one call keeps the higher seq", async () => {
      const s = fresh.store;
      const [u, v] = [await newUser(s), await newUser(s)];
      const a = (await newRoom(s, u.id, { members: [v.id] })).id;
      for (let i = 0; i < 4; i++) await one(s, msg(a, u.id, `a${i}`));
      const last = await s.lastSeq(a);
      await s.advanceDelivered([{ roomId: a, userId: v.id, seq: last }, { roomId: a, userId: v.id, seq: last - 2 }]);
      expect((await s.member(a, v.id))!.deliveredSeq).toBe(last);
    });

    test("STORE-127 setBlock on/off is idempotent and keeps the first createdAt; blocksOf lists newest first, per user", async () => {
      const s = fresh.store;
      const [u, x, y] = [await newUser(s), await newUser(s), await newUser(s)];
      expect(await s.blocksOf(u.id)).toEqual([]);
      const t1 = tick();
      await s.setBlock(u.id, x.id, true, t1);
      await s.setBlock(u.id, x.id, true, tick());
      const t2 = tick();
      await s.setBlock(u.id, y.id, true, t2);
      expect(await s.blocksOf(u.id)).toEqual([{ blockedId: y.id, createdAt: t2 }, { blockedId: x.id, createdAt: t1 }]);
      expect(await s.blocksOf(x.id)).toEqual([]);
      await s.setBlock(u.id, x.id, false, tick());
      await s.setBlock(u.id, x.id, false, tick());
      await s.setBlock(u.id, uniq("nobody"), false, tick());
      expect(await s.blocksOf(u.id)).toEqual([{ blockedId: y.id, createdAt: t2 }]);
    });

    test("STORE-128 blockersAmong gives those of the ids who blocked the user, one direction only", async () => {
      const s = fresh.store;
      const [pest, a, b, c] = [await newUser(s), await newUser(s), await newUser(s), await newUser(s)];
      await s.setBlock(a.id, pest.id, true, tick());
      await s.setBlock(c.id, pest.id, true, tick());
      await s.setBlock(pest.id, b.id, true, tick()); // pest blocked b: not b blocking pest
      expect((await s.blockersAmong(pest.id, [a.id, b.id, c.id, uniq("nobody")])).sort()).toEqual([a.id, c.id].sort());
      expect(await s.blockersAmong(pest.id, [])).toEqual([]);
      expect(await s.blockersAmong(b.id, [pest.id])).toEqual([pest.id]);
      expect(await s.blockersAmong(a.id, [pest.id])).toEqual([]);
    });

    test("STORE-129 member.add on an existing member keeps its delivered mark (a role change is not a rejoin)", async () => {
      const s = fresh.store;
      const [u, v] = [await newUser(s), await newUser(s)];
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      await one(s, msg(room, u.id, "x"));
      const last = await s.lastSeq(room);
      await s.advanceDelivered([{ roomId: room, userId: v.id, seq: last }]);
      await one(s, memberEv(room, u.id, v.id, "role", [{ type: "member.add", userId: v.id, role: "admin" }]));
      expect((await s.member(room, v.id))!.deliveredSeq).toBe(last);
    });
  });
}
