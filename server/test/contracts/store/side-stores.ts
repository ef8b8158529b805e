// Store contract, the uploads, blobs and push sub-stores, and migrations run again.

import { describe, expect, test } from "bun:test";
import type { PushSubscriptionRow } from "../../../ports/push";
import type { Store } from "../../../ports/store";
import { blobId, blobRules, someBytes } from "../blobs.contract";
import { msg, newRoom, newUser, one, tick, uniq, uploadRow, useFreshStore, type StoreFactory } from "./fixtures";

export function sideStoreRules(factory: StoreFactory) {
  describe("uploads", () => {
    const fresh = useFreshStore(factory);

    test("STORE-51 insert, then byId and byIds give the rows as inserted (deleted ones too); unknown ids are absent; a repeated id throws", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const a = uploadRow(room, u.id, { mime: "application/pdf", filename: "Ünïcode report.pdf", size: 123_456 });
      const b = uploadRow(room, u.id, { msgSeq: 7, deletedAt: 9 });
      await s.uploads.insert(a);
      await s.uploads.insert(b);
      expect(await s.uploads.byId(a.id)).toEqual(a);
      expect(await s.uploads.byId(b.id)).toEqual(b);
      expect(await s.uploads.byId(uniq("none"))).toBeUndefined();
      const byId = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : 1);
      expect((await s.uploads.byIds([b.id, uniq("none"), a.id])).sort(byId)).toEqual([a, b].sort(byId));
      expect(await s.uploads.byIds([])).toEqual([]);
      await expect(s.uploads.insert({ ...a, filename: "again" })).rejects.toThrow();
      expect(await s.uploads.byId(a.id)).toEqual(a);
    });

    test("STORE-52 markDeletedForMessage marks that message's uploads (earlier marks kept) and returns all of them; other messages' stay", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const m = await one(s, msg(room, u.id, "files"));
      const other = await one(s, msg(room, u.id, "other files"));
      const a = uploadRow(room, u.id, { msgSeq: m.seq });
      const early = uploadRow(room, u.id, { msgSeq: m.seq, deletedAt: 3 });
      const keep = uploadRow(room, u.id, { msgSeq: other.seq });
      for (const r of [a, early, keep]) await s.uploads.insert(r);
      const got = await s.uploads.markDeletedForMessage(room, m.seq, 50);
      expect(got.map((r) => [r.id, r.deletedAt]).sort()).toEqual([[a.id, 50], [early.id, 3]].sort());
      expect((await s.uploads.byId(keep.id))!.deletedAt).toBeNull();
      // Again: the same rows, nothing changes.
      expect((await s.uploads.markDeletedForMessage(room, m.seq, 60)).map((r) => [r.id, r.deletedAt]).sort()).toEqual([[a.id, 50], [early.id, 3]].sort());
      expect(await s.uploads.markDeletedForMessage(room, other.seq + 100, 60)).toEqual([]);
    });

    test("STORE-53 markAbandoned marks and returns the uploads no message took, created before `before`, not yet deleted", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      const cut = tick();
      const stale = uploadRow(room, u.id, { createdAt: cut - 10 });
      const sent = uploadRow(room, u.id, { createdAt: cut - 10, msgSeq: 2 });
      const gone = uploadRow(room, u.id, { createdAt: cut - 10, deletedAt: 1 });
      const fresh1 = uploadRow(room, u.id, { createdAt: cut });
      for (const r of [stale, sent, gone, fresh1]) await s.uploads.insert(r);
      const got = await s.uploads.markAbandoned(cut, 77);
      expect(got.map((r) => r.id)).toContain(stale.id);
      expect(got.map((r) => r.id)).not.toContain(sent.id);
      expect(got.map((r) => r.id)).not.toContain(gone.id);
      expect(got.map((r) => r.id)).not.toContain(fresh1.id);
      expect((await s.uploads.byId(stale.id))!.deletedAt).toBe(77);
      expect((await s.uploads.byId(sent.id))!.deletedAt).toBeNull();
      expect((await s.uploads.byId(gone.id))!.deletedAt).toBe(1);
      expect((await s.uploads.byId(fresh1.id))!.deletedAt).toBeNull();
      expect((await s.uploads.markAbandoned(cut, 78)).map((r) => r.id)).not.toContain(stale.id);
    });
  });

  describe("blobs", () => {
    const fresh = useFreshStore(factory);
    blobRules(() => fresh.store.blobs);

    // Only where several processes share the database (PostgreSQL): the reason a cluster keeps bytes there.
    if (factory.openSecond) {
      test("STORE-68 bytes put through one instance are read through another; removed through it, they are gone for both", async () => {
        const [a, b] = [fresh.store, await fresh.second()];
        const id = blobId();
        await a.blobs.put(id, someBytes(70_000, 9));
        expect(new Uint8Array(await (await b.blobs.get(id))!.arrayBuffer())).toEqual(someBytes(70_000, 9));
        await b.blobs.remove([id]);
        expect(await a.blobs.get(id)).toBeUndefined();
        expect(await b.blobs.get(id)).toBeUndefined();
      });
    }
  });

  describe("push subscriptions", () => {
    const fresh = useFreshStore(factory);
    const sub = (userId: string, over: Partial<PushSubscriptionRow> = {}): PushSubscriptionRow => ({
      id: uniq("p"), userId, endpoint: `https://push.example/${uniq("e")}`, p256dh: "key", auth: "auth", createdAt: tick(), ...over,
    });
    const endpoints = async (s: Store, user: string) => (await s.push.listByUser(user)).map((r) => r.endpoint);

    test("STORE-54 upsert inserts; on a known endpoint it moves the row to the new user with the new keys and createdAt, keeping its id", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const first = sub(u.id);
      await s.push.upsert(first);
      expect(await s.push.listByUser(u.id)).toEqual([first]);
      const again = sub(v.id, { endpoint: first.endpoint, p256dh: "key2", auth: "auth2" });
      await s.push.upsert(again);
      expect(await s.push.listByUser(u.id)).toEqual([]);
      expect(await s.push.listByUser(v.id)).toEqual([{ ...again, id: first.id }]);
    });

    test("STORE-55 upsert is atomic: concurrent upserts of one endpoint leave exactly one row", async () => {
      const s = fresh.store;
      const users = await Promise.all([1, 2, 3, 4, 5].map(() => newUser(s)));
      const endpoint = `https://push.example/${uniq("race")}`;
      await Promise.all(users.map((u) => s.push.upsert(sub(u.id, { endpoint }))));
      const lists = await Promise.all(users.map((u) => endpoints(s, u.id)));
      expect(lists.flat()).toEqual([endpoint]);
    });

    test("STORE-56 removeForUser deletes only the user's own endpoint and says whether it did", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const a = sub(u.id);
      await s.push.upsert(a);
      expect(await s.push.removeForUser(v.id, a.endpoint)).toBe(false);
      expect(await endpoints(s, u.id)).toEqual([a.endpoint]);
      expect(await s.push.removeForUser(u.id, a.endpoint)).toBe(true);
      expect(await s.push.removeForUser(u.id, a.endpoint)).toBe(false);
      expect(await endpoints(s, u.id)).toEqual([]);
    });

    test("STORE-57 listByUser: the user's subscriptions, oldest (re)subscription first", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const [a, b, c] = [sub(u.id), sub(u.id), sub(u.id)];
      await s.push.upsert(c);
      await s.push.upsert(a);
      await s.push.upsert(b);
      await s.push.upsert(sub(v.id));
      expect(await endpoints(s, u.id)).toEqual([a.endpoint, b.endpoint, c.endpoint]);
      await s.push.upsert({ ...a, createdAt: tick() }); // re-subscribed: now the newest
      expect(await endpoints(s, u.id)).toEqual([b.endpoint, c.endpoint, a.endpoint]);
      expect(await s.push.listByUser(uniq("nobody"))).toEqual([]);
    });

    test("STORE-58 removeEndpoint deletes the endpoint whoever owns it; idempotent", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const [a, b] = [sub(u.id), sub(u.id)];
      await s.push.upsert(a);
      await s.push.upsert(b);
      await s.push.removeEndpoint(a.endpoint);
      await s.push.removeEndpoint(a.endpoint);
      await s.push.removeEndpoint(`https://push.example/${uniq("never")}`);
      expect(await endpoints(s, u.id)).toEqual([b.endpoint]);
    });
  });

  describe("migrations", () => {
    const fresh = useFreshStore(factory);

    test("STORE-59 migrate() on a migrated database changes nothing and keeps the data", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = await newRoom(s, u.id);
      await s.migrate();
      await s.migrate();
      expect(await s.userById(u.id)).toEqual(u);
      expect(await s.roomById(room.id)).toEqual(room);
      expect((await s.append([msg(room.id, u.id, "after")]))[0].event.seq).toBe(room.lastSeq + 1);
    });
  });
}
