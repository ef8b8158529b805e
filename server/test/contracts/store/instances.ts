// Store contract, several processes on one database (adapters with `openSecond`): the guarantees hold across them.

import { describe, expect, test } from "bun:test";
import type { MessageEvent } from "../../../protocol/types";
import type { Appended, NewEvent } from "../../../ports/store";
import { deleteEv, history, memberEv, msg, newRoom, newUser, one, refreshRow, seqs, tick, uniq, useFreshStore, type StoreFactory } from "./fixtures";

export function instanceRules(factory: StoreFactory) {
  // Not registered for adapters with one writing process by design (libSQL's embedded file): they do not apply.
  if (!factory.openSecond) return;
  describe("two instances on one database", () => {
    const fresh = useFreshStore(factory);

    test("STORE-63 concurrent appends from two instances: each (sender, clientMsgId) stored once, every room gapless, lastSeq agrees", async () => {
      const a = fresh.store;
      const b = await fresh.second();
      const u = await newUser(a);
      const v = await newUser(a);
      const r1 = (await newRoom(a, u.id, { members: [v.id] })).id;
      const r2 = (await newRoom(b, u.id, { members: [v.id] })).id;
      const ROUNDS = 6;
      const KEYS = 8;
      const allKeys: string[] = [];
      let uniques = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const keys = Array.from({ length: KEYS }, () => uniq("k"));
        allKeys.push(...keys);
        const batch = (tag: string): NewEvent[] =>
          keys.flatMap((k, i) => [msg(i % 2 ? r1 : r2, u.id, `${tag} ${k}`, { clientMsgId: k }), msg(i % 2 ? r2 : r1, v.id, `${tag} unique`)]);
        // The second batch visits the rooms in the opposite order: locks taken in batch order would deadlock.
        const fromA = batch("a");
        const fromB = batch("b").reverse();
        const [outA, outB] = await Promise.all([a.append(fromA), b.append(fromB)]);
        uniques += 2 * KEYS;
        const byKey = (events: NewEvent[], out: Appended[]) => new Map(events.map((e, i) => [e.sender === u.id ? e.clientMsgId! : "", out[i]]));
        const ka = byKey(fromA, outA);
        const kb = byKey(fromB, outB);
        for (const k of keys) {
          const [x, y] = [ka.get(k)!, kb.get(k)!];
          expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
          expect([y.event.room, y.event.seq, (y.event as MessageEvent).body]).toEqual([x.event.room, x.event.seq, (x.event as MessageEvent).body]);
        }
      }
      for (const room of [r1, r2]) {
        const h = await history(a, room);
        expect(seqs(h)).toEqual(h.map((_, i) => i + 1));
        expect(await a.lastSeq(room)).toBe(h.length);
        expect(await b.lastSeq(room)).toBe(h.length);
        expect((await b.roomById(room))!.lastSeq).toBe(h.length);
        expect(await history(b, room)).toEqual(h);
      }
      const messages = [...(await history(a, r1)), ...(await history(a, r2))].filter((e): e is MessageEvent => e.kind === "message");
      const keyed = messages.filter((m) => m.sender === u.id).map((m) => m.clientMsgId);
      expect(keyed.sort()).toEqual([...allKeys].sort());
      expect(messages.filter((m) => m.sender === v.id)).toHaveLength(uniques);
    });

    test("STORE-64 instances taking turns: seqs continue from the true last seq; each sees the other's effects and idempotency keys", async () => {
      const a = fresh.store;
      const b = await fresh.second();
      const u = await newUser(a);
      const v = await newUser(b);
      const room = (await newRoom(a, u.id)).id;
      const got = [await one(a, msg(room, u.id, "1")), await one(b, msg(room, u.id, "2")), await one(a, msg(room, u.id, "3"))];
      expect(seqs(got)).toEqual([2, 3, 4]);
      expect([await a.lastSeq(room), await b.lastSeq(room)]).toEqual([4, 4]);
      await one(b, memberEv(room, v.id, v.id, "join", [{ type: "member.add", userId: v.id, role: "member" }]));
      expect(await a.member(room, v.id)).toMatchObject({ role: "member", readSeq: 5 });
      expect(await a.advanceRead(room, v.id, 99)).toBe(5);
      const k = uniq("k");
      const first = await one(a, msg(room, u.id, "keyed", { clientMsgId: k }));
      expect(await b.append([msg(room, u.id, "keyed again", { clientMsgId: k })])).toEqual([{ event: first, duplicate: true }]);
      expect(await a.userById(v.id)).toEqual(await b.userById(v.id));
    });

    test("STORE-150 concurrent deletes of one message from two instances: exactly one delete event, the other gets it with duplicate=true; no seq hole", async () => {
      const a = fresh.store;
      const b = await fresh.second();
      const u = await newUser(a);
      const room = (await newRoom(a, u.id)).id;
      for (let round = 0; round < 5; round++) {
        const m = await one(a, msg(room, u.id, `doomed ${round}`));
        // Each instance also sends a message in the same batch: the refused delete must not leave a hole between them.
        const [outA, outB] = await Promise.all([
          a.append([deleteEv(room, u.id, m.seq), msg(room, u.id, "from a")]),
          b.append([{ ...deleteEv(room, u.id, m.seq), data: { msgSeq: m.seq, expired: true } }, msg(room, u.id, "from b")]),
        ]);
        expect([outA[0].duplicate, outB[0].duplicate].sort()).toEqual([false, true]);
        expect(outA[0].event).toEqual(outB[0].event);
      }
      const h = await history(a, room);
      expect(seqs(h)).toEqual(h.map((_, i) => i + 1));
      expect(await b.lastSeq(room)).toBe(h.length);
      const deletes = h.filter((e) => e.kind === "delete").map((e) => (e as { msgSeq: number }).msgSeq);
      expect(deletes).toHaveLength(5);
      expect(new Set(deletes).size).toBe(5);
    });

    test("STORE-65 useRefresh across instances: of concurrent calls on one token exactly one is true", async () => {
      const a = fresh.store;
      const b = await fresh.second();
      const u = await newUser(a);
      for (let round = 0; round < 5; round++) {
        const r = refreshRow(u.id);
        await a.insertRefresh(r);
        const got = await Promise.all([a, b, a, b, a, b].map((s, i) => s.useRefresh(r.id, i + 1)));
        expect(got.filter(Boolean)).toHaveLength(1);
      }
    });

    test("STORE-66 sharedSecret across instances: concurrent calls for a new name agree on one value", async () => {
      const a = fresh.store;
      const b = await fresh.second();
      for (let round = 0; round < 5; round++) {
        const name = uniq("secret");
        const got = await Promise.all([a, b, a, b].map((s, i) => s.sharedSecret(name, () => `value ${i}`)));
        expect(new Set(got).size).toBe(1);
      }
    });

    test("STORE-67 push upsert across instances: concurrent upserts of one endpoint leave exactly one row", async () => {
      const a = fresh.store;
      const b = await fresh.second();
      const users = await Promise.all([1, 2, 3, 4].map(() => newUser(a)));
      const endpoint = `https://push.example/${uniq("race")}`;
      await Promise.all(users.map((u, i) => (i % 2 ? b : a).push.upsert({ id: uniq("p"), userId: u.id, endpoint, p256dh: "k", auth: "a", createdAt: tick() })));
      const lists = await Promise.all(users.map((u) => a.push.listByUser(u.id)));
      expect(lists.flat().map((r) => r.endpoint)).toEqual([endpoint]);
    });
  });
}
