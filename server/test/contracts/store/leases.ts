// Store contract, leases (one node of a cluster runs a background job) and the room listing such a job walks.

import { describe, expect, test } from "bun:test";
import { deleteEv, msg, newRoom, newUser, one, tick, uniq, useFreshStore, type StoreFactory } from "./fixtures";

export function leaseRules(factory: StoreFactory) {
  describe("leases and every room", () => {
    const fresh = useFreshStore(factory);

    test("STORE-110 takeLease: free → taken; renewed by its holder; refused to another until it expires, then taken over", async () => {
      const s = fresh.store;
      const name = uniq("lease");
      expect(await s.takeLease(name, "a", 1_000, 100)).toBe(true);
      expect(await s.takeLease(name, "b", 1_050, 100)).toBe(false);
      expect(await s.takeLease(name, "a", 1_050, 100)).toBe(true); // renewed until 1_150
      expect(await s.takeLease(name, "b", 1_149, 100)).toBe(false);
      expect(await s.takeLease(name, "b", 1_150, 100)).toBe(true); // expired: b takes over
      expect(await s.takeLease(name, "a", 1_200, 100)).toBe(false);
      expect(await s.takeLease(uniq("other"), "a", 1_200, 100)).toBe(true); // leases are independent
    });

    test("STORE-111 concurrent takeLease calls for a free lease: exactly one holder gets it (across instances when the adapter has them)", async () => {
      const a = fresh.store;
      const b = factory.openSecond ? await fresh.second() : a;
      for (let round = 0; round < 5; round++) {
        const name = uniq("lease");
        const got = await Promise.all(["h1", "h2", "h3", "h4", "h5", "h6"].map((h, i) => (i % 2 ? b : a).takeLease(name, h, 5_000, 1_000)));
        expect(got.filter(Boolean)).toHaveLength(1);
      }
    });

    test("STORE-112 releaseLease frees the holder's lease at once; another holder's release changes nothing", async () => {
      const s = fresh.store;
      const name = uniq("lease");
      expect(await s.takeLease(name, "a", 1_000, 60_000)).toBe(true);
      await s.releaseLease(name, "b");
      expect(await s.takeLease(name, "b", 1_001, 60_000)).toBe(false);
      await s.releaseLease(name, "a");
      expect(await s.takeLease(name, "b", 1_002, 60_000)).toBe(true);
    });

    test("STORE-113 allRooms pages every room of every kind by id with its lastSeq", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const made = [await newRoom(s, u.id, { kind: "public" }), await newRoom(s, u.id, { kind: "private" }), await newRoom(s, u.id, { kind: "public" })];
      const all = [];
      for (let after: string | undefined; ; ) {
        const page = await s.allRooms({ after, limit: 2 });
        all.push(...page);
        if (page.length < 2) break;
        after = page[page.length - 1].id;
      }
      const ids = all.map((r) => r.id);
      expect(ids).toEqual([...ids].sort());
      for (const r of made) expect(all.find((x) => x.id === r.id)).toEqual(await s.roomById(r.id));
      expect(await s.allRooms({ after: ids[ids.length - 1], limit: 10 })).toEqual([]);
    });

    test("STORE-145 messageTtlSec: set by room.update (0 at creation); expiry marks: per room, absent until set, only move forward", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = await newRoom(s, u.id);
      const other = await newRoom(s, u.id);
      expect(room.messageTtlSec).toBe(0);
      await one(s, { room: room.id, kind: "room", sender: u.id, ts: tick(), data: { messageTtlSec: 60 }, effects: [{ type: "room.update", messageTtlSec: 60 }] });
      expect((await s.roomById(room.id))!.messageTtlSec).toBe(60);
      expect((await s.roomById(other.id))!.messageTtlSec).toBe(0);
      expect(await s.expiryMarks([room.id, other.id])).toEqual(new Map());
      expect(await s.expiryMarks([])).toEqual(new Map());
      await s.setExpiryMark(room.id, 5);
      expect(await s.expiryMarks([room.id, other.id])).toEqual(new Map([[room.id, 5]]));
      await s.setExpiryMark(room.id, 3); // never back
      await s.setExpiryMark(other.id, 2);
      expect(await s.expiryMarks([room.id, other.id, "r_unknown"])).toEqual(new Map([[room.id, 5], [other.id, 2]]));
      await s.setExpiryMark(room.id, 9);
      expect((await s.expiryMarks([room.id])).get(room.id)).toBe(9);
      await one(s, { room: room.id, kind: "room", sender: u.id, ts: tick(), data: { messageTtlSec: 0 }, effects: [{ type: "room.update", messageTtlSec: 0 }] });
      expect((await s.roomById(room.id))!.messageTtlSec).toBe(0);
    });
  });
}
