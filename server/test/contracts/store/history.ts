// Store contract, reading the log: pages both ways, decorations of messages, single-message lookups.

import { describe, expect, test } from "bun:test";
import type { MessageEvent } from "../../../protocol/types";
import type { Store } from "../../../ports/store";
import { deleteEv, msg, newRoom, newUser, one, reactEv, seqs, uniq, useFreshStore, type StoreFactory } from "./fixtures";

/** A quoted message's preview carries this many characters of its body (the wire reply preview). */
const REPLY_PREVIEW_CHARS = 200;

export function historyRules(factory: StoreFactory) {
  describe("events and messages", () => {
    const fresh = useFreshStore(factory);

    /** A room whose log is exactly seqs 1..10: the owner's join and nine messages. */
    async function tenEvents(s: Store) {
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      await s.append(Array.from({ length: 9 }, (_, i) => msg(room, u.id, `m${i + 2}`)));
      return room;
    }
    const page = async (s: Store, room: string, q: { before?: number; after?: number; limit: number }) => {
      const p = await s.events(room, q);
      return [seqs(p.events), p.hasMore];
    };

    test("STORE-18 without a cursor: the newest `limit` events, ascending; hasMore when older ones exist", async () => {
      const s = fresh.store;
      const room = await tenEvents(s);
      expect(await page(s, room, { limit: 3 })).toEqual([[8, 9, 10], true]);
      expect(await page(s, room, { limit: 10 })).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], false]);
      expect(await page(s, room, { limit: 50 })).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], false]);
    });

    test("STORE-19 before: the newest `limit` events below the cursor, ascending; hasMore when older ones exist", async () => {
      const s = fresh.store;
      const room = await tenEvents(s);
      expect(await page(s, room, { before: 8, limit: 3 })).toEqual([[5, 6, 7], true]);
      expect(await page(s, room, { before: 4, limit: 3 })).toEqual([[1, 2, 3], false]);
      expect(await page(s, room, { before: 1, limit: 3 })).toEqual([[], false]);
    });

    test("STORE-20 after: the oldest `limit` events above the cursor, ascending; hasMore when newer ones exist; with before too, the window between", async () => {
      const s = fresh.store;
      const room = await tenEvents(s);
      expect(await page(s, room, { after: 0, limit: 3 })).toEqual([[1, 2, 3], true]);
      expect(await page(s, room, { after: 7, limit: 3 })).toEqual([[8, 9, 10], false]);
      expect(await page(s, room, { after: 10, limit: 3 })).toEqual([[], false]);
      expect(await page(s, room, { after: 2, before: 9, limit: 3 })).toEqual([[3, 4, 5], true]);
      expect(await page(s, room, { after: 5, before: 9, limit: 3 })).toEqual([[6, 7, 8], false]);
    });

    test("STORE-21 an unknown or empty room reads as an empty page and lastSeq 0", async () => {
      const s = fresh.store;
      const nowhere = uniq("nowhere");
      expect(await s.events(nowhere, { limit: 10 })).toEqual({ events: [], hasMore: false });
      expect(await s.events(nowhere, { after: 0, limit: 10 })).toEqual({ events: [], hasMore: false });
      expect(await s.lastSeq(nowhere)).toBe(0);
      expect(await s.message(nowhere, 1)).toBeUndefined();
    });

    test("STORE-22 messages in a page carry their reactions (emoji → users) and a preview of the quoted message, also from outside the page", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      const long = await one(s, msg(room, u.id, "x".repeat(REPLY_PREVIEW_CHARS + 100)));
      const gone = await one(s, msg(room, v.id, "to be deleted"));
      await s.append([reactEv(room, u.id, long.seq, "👍", true), reactEv(room, v.id, long.seq, "👍", true), reactEv(room, v.id, long.seq, "🎉", true)]);
      const [r1, r2] = (await s.append([msg(room, v.id, "re long", { replyTo: long.seq }), msg(room, u.id, "re gone", { replyTo: gone.seq })])).map((r) => r.event);
      await one(s, deleteEv(room, v.id, gone.seq));
      const onlyReplies = (await s.events(room, { after: r1.seq - 1, limit: 100 })).events; // the quoted messages are not in it
      const byseq = new Map(onlyReplies.map((e) => [e.seq, e as MessageEvent]));
      expect(byseq.get(r1.seq)!.replyPreview).toEqual({ seq: long.seq, sender: u.id, body: "x".repeat(REPLY_PREVIEW_CHARS), deleted: false });
      expect(byseq.get(r2.seq)!.replyPreview).toEqual({ seq: gone.seq, sender: v.id, body: "", deleted: true });
      const all = (await s.events(room, { limit: 100 })).events;
      const first = all.find((e) => e.seq === long.seq) as MessageEvent;
      expect(Object.keys(first.reactions!).sort()).toEqual(["🎉", "👍"]);
      expect([...first.reactions!["👍"]].sort()).toEqual([u.id, v.id].sort());
      expect(first.reactions!["🎉"]).toEqual([v.id]);
      expect((all.find((e) => e.seq === r1.seq) as MessageEvent).reactions).toBeUndefined();
    });

    test("STORE-23 message(): seq, kind, sender, current body and deleted flag of any event; undefined for a missing seq", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const m = await one(s, msg(room, u.id, "look me up"));
      expect(await s.message(room, m.seq)).toEqual({ seq: m.seq, kind: "message", sender: u.id, body: "look me up", deleted: false });
      expect(await s.message(room, 1)).toEqual({ seq: 1, kind: "member", sender: u.id, body: null, deleted: false });
      expect(await s.message(room, m.seq + 1)).toBeUndefined();
      expect(await s.message((await newRoom(s, u.id)).id, m.seq)).toBeUndefined();
    });

    test("STORE-24 hasReaction is exact: that message, that emoji, that user", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      const [a, b] = (await s.append([msg(room, u.id, "a"), msg(room, u.id, "b")])).map((r) => r.event);
      await one(s, reactEv(room, v.id, a.seq, "👍", true));
      expect(await s.hasReaction(room, a.seq, "👍", v.id)).toBe(true);
      expect(await s.hasReaction(room, a.seq, "👍", u.id)).toBe(false);
      expect(await s.hasReaction(room, a.seq, "🎉", v.id)).toBe(false);
      expect(await s.hasReaction(room, b.seq, "👍", v.id)).toBe(false);
    });
  });
}
