// Store contract, append: seqs, idempotency, atomicity, room creation, and what the returned event is.

import { describe, expect, test } from "bun:test";
import type { MessageEvent } from "../../../protocol/types";
import { history, memberEv, msg, newRoom, newUser, one, roomRow, seqs, tick, uniq, useFreshStore, type StoreFactory } from "./fixtures";

export function appendRules(factory: StoreFactory) {
  describe("append", () => {
    const fresh = useFreshStore(factory);

    test("STORE-1 seqs are gapless per room, in array order, across a batch over several rooms", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const a = (await newRoom(s, u.id)).id;
      const b = (await newRoom(s, u.id)).id;
      const out = await s.append([msg(a, u.id, "a1"), msg(b, u.id, "b1"), msg(a, u.id, "a2"), msg(a, u.id, "a3"), msg(b, u.id, "b2")]);
      expect(out.map((r) => [r.event.room, r.event.seq, r.duplicate])).toEqual([[a, 2, false], [b, 2, false], [a, 3, false], [a, 4, false], [b, 3, false]]);
      const h = await history(s, a);
      expect(seqs(h)).toEqual([1, 2, 3, 4]);
      expect(h.slice(1).map((e) => (e as MessageEvent).body)).toEqual(["a1", "a2", "a3"]);
      expect(seqs(await history(s, b))).toEqual([1, 2, 3]);
    });

    test("STORE-2 seqs continue across batches; lastSeq and the room row's lastSeq and lastActivity follow the room's last event", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const a = (await newRoom(s, u.id)).id;
      const b = (await newRoom(s, u.id)).id;
      await s.append([msg(a, u.id, "1"), msg(b, u.id, "1")]);
      const last = msg(a, u.id, "2");
      const out = await s.append([msg(a, u.id, "1.5"), last]);
      expect(seqs(out.map((r) => r.event))).toEqual([3, 4]);
      expect(await s.lastSeq(a)).toBe(4);
      expect(await s.lastSeq(b)).toBe(2);
      expect(await s.roomById(a)).toMatchObject({ lastSeq: 4, lastActivity: last.ts });
      expect(seqs(await history(s, a))).toEqual([1, 2, 3, 4]);
    });

    test("STORE-3 the returned event is the stored one: history gives the same fields, with `data` spread into it", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const a = (await newRoom(s, u.id)).id;
      const out = await s.append([
        msg(a, u.id, "hi @v", { data: { mentions: [v.id] } }),
        memberEv(a, u.id, v.id, "invite", [{ type: "member.add", userId: v.id, role: "member" }]),
      ]);
      const [m, j] = out.map((r) => r.event);
      expect(m).toMatchObject({ room: a, seq: 2, kind: "message", sender: u.id, body: "hi @v", mentions: [v.id] });
      expect(typeof (m as MessageEvent).msgId).toBe("string");
      expect(typeof (m as MessageEvent).clientMsgId).toBe("string");
      expect(j).toMatchObject({ room: a, seq: 3, kind: "member", sender: u.id, userId: v.id, change: "invite" });
      expect((await history(s, a)).slice(1)).toEqual([m, j]);
    });

    test("STORE-4 `wire` fields appear in the returned event only, never in history (a reply preview is recomputed at read time)", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const a = (await newRoom(s, u.id)).id;
      const q = await one<MessageEvent>(s, msg(a, u.id, "quoted"));
      const stale = { seq: q.seq, sender: u.id, body: "stale preview", deleted: false };
      const out = await one<MessageEvent>(s, msg(a, u.id, "reply", { replyTo: q.seq, wire: { replyPreview: stale, liveOnly: 1 } }));
      expect(out).toMatchObject({ replyTo: q.seq, replyPreview: stale, liveOnly: 1 });
      const stored = (await history(s, a)).find((e) => e.seq === out.seq) as MessageEvent & { liveOnly?: number };
      expect(stored.liveOnly).toBeUndefined();
      expect(stored.replyPreview).toEqual({ seq: q.seq, sender: u.id, body: "quoted", deleted: false });
    });

    test("STORE-5 idempotency within a batch: a repeated (sender, clientMsgId) is stored once; the repeat gets the first event with duplicate=true", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const a = (await newRoom(s, u.id)).id;
      const k = uniq("k");
      const out = await s.append([msg(a, u.id, "first", { clientMsgId: k }), msg(a, u.id, "again", { clientMsgId: k }), msg(a, u.id, "other")]);
      expect(out.map((r) => r.duplicate)).toEqual([false, true, false]);
      expect(out[1].event).toMatchObject({ seq: 2, body: "first" });
      expect(out[2].event.seq).toBe(3);
      expect((await history(s, a)).map((e) => (e as MessageEvent).body ?? e.kind)).toEqual(["member", "first", "other"]);
    });

    test("STORE-6 idempotency across batches and rooms: a repeat returns the stored first event and stores nothing; another sender's same clientMsgId is new", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const a = (await newRoom(s, u.id, { members: [v.id] })).id;
      const b = (await newRoom(s, u.id)).id;
      const k = uniq("k");
      const first = await one<MessageEvent>(s, msg(a, u.id, "first", { clientMsgId: k }));
      const bBefore = await s.lastSeq(b);
      const out = await s.append([msg(b, u.id, "again, elsewhere", { clientMsgId: k }), msg(a, v.id, "same key, other sender", { clientMsgId: k })]);
      expect(out[0]).toEqual({ event: first, duplicate: true });
      expect(out[1].duplicate).toBe(false);
      expect(out[1].event).toMatchObject({ room: a, seq: first.seq + 1, sender: v.id });
      expect(await s.lastSeq(b)).toBe(bBefore);
      expect(seqs(await history(s, b))).toEqual([bBefore]);
      // And once more, alone in its batch.
      const [again] = await s.append([msg(a, u.id, "third time", { clientMsgId: k })]);
      expect(again).toEqual({ event: first, duplicate: true });
      expect(await s.lastSeq(a)).toBe(first.seq + 1);
    });

    test("STORE-7 a batch that fails stores nothing (no event, effect, key or seq), and the next append continues gapless", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const a = (await newRoom(s, u.id)).id;
      const dmKey = uniq("dm");
      await newRoom(s, u.id, { kind: "dm", dmKey });
      const before = await s.lastSeq(a);
      const k = uniq("k");
      const clash = roomRow(u.id, { kind: "dm", dmKey }); // the DM of that pair exists: dmKey is unique
      await expect(
        s.append([
          msg(a, u.id, "lost", { clientMsgId: k }),
          { room: a, kind: "room", sender: u.id, ts: tick(), data: { topic: "lost too" }, effects: [{ type: "room.update", topic: "lost too" }] },
          memberEv(clash.id, u.id, u.id, "join", [{ type: "room.create", room: clash }]),
        ]),
      ).rejects.toThrow();
      expect(await s.lastSeq(a)).toBe(before);
      expect(seqs(await history(s, a))).toEqual(Array.from({ length: before }, (_, i) => i + 1));
      expect((await s.roomById(a))!.topic).toBe("");
      expect(await s.roomById(clash.id)).toBeUndefined();
      const [r] = await s.append([msg(a, u.id, "kept", { clientMsgId: k })]);
      expect(r).toMatchObject({ duplicate: false, event: { seq: before + 1, body: "kept" } });
    });

    test("STORE-8 room.create in the same batch as the room's first events: the room starts at seq 1 with the row as given", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const row = roomRow(u.id, { name: "new", kind: "private", topic: "t", slowModeSec: 5 });
      const last = msg(row.id, u.id, "first message");
      const out = await s.append([
        memberEv(row.id, u.id, u.id, "join", [{ type: "room.create", room: row }, { type: "member.add", userId: u.id, role: "owner" }]),
        memberEv(row.id, u.id, v.id, "invite", [{ type: "member.add", userId: v.id, role: "member" }]),
        last,
      ]);
      expect(seqs(out.map((r) => r.event))).toEqual([1, 2, 3]);
      expect(await s.roomById(row.id)).toEqual({ ...row, lastSeq: 3, lastActivity: last.ts });
      expect((await s.members(row.id)).map((m) => [m.userId, m.role]).sort()).toEqual([[u.id, "owner"], [v.id, "member"]].sort());
    });

    test("STORE-9 an event without a clientMsgId is never a duplicate; empty batches are fine", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const a = (await newRoom(s, u.id)).id;
      expect(await s.append([])).toEqual([]);
      const e = { room: a, kind: "room" as const, sender: u.id, ts: tick(), data: { topic: "x" } };
      const out = await s.append([e, { ...e, ts: tick() }]);
      expect(out.map((r) => [r.event.seq, r.duplicate])).toEqual([[2, false], [3, false]]);
    });
  });
}
