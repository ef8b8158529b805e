// Store contract, accounts: users, deactivation, last seen, refresh tokens and their one-time use.

import { describe, expect, test } from "bun:test";
import { AppError } from "../../../errors";
import { newUser, refreshRow, tick, uniq, useFreshStore, type StoreFactory } from "./fixtures";

export function accountRules(factory: StoreFactory) {
  describe("users", () => {
    const fresh = useFreshStore(factory);

    test("STORE-41 insertUser, then userById and userByName give the row as inserted; undefined when there is none", async () => {
      const s = fresh.store;
      const admin = await newUser(s, { isAdmin: true, displayName: "Ada Ünïcode 🙂" });
      const plain = await newUser(s, { deactivatedAt: 5, lastSeen: 7 });
      expect(await s.userById(admin.id)).toEqual(admin);
      expect(await s.userByName(admin.username)).toEqual(admin);
      expect(await s.userById(plain.id)).toEqual(plain);
      expect(await s.userById(uniq("nobody"))).toBeUndefined();
      expect(await s.userByName(uniq("nobody"))).toBeUndefined();
    });

    test("STORE-42 a taken username is AppError \"conflict\", and nothing is stored", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const count = await s.countUsers();
      const err = await newUser(s, { username: u.username }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("conflict");
      expect(await s.countUsers()).toBe(count);
      expect(await s.userByName(u.username)).toEqual(u);
    });

    test("STORE-43 usersByIds and usersByNames give the rows that exist, in any order; unknown ones are absent; an empty list gives []", async () => {
      const s = fresh.store;
      const a = await newUser(s);
      const b = await newUser(s);
      const byId = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : 1);
      expect((await s.usersByIds([a.id, uniq("ghost"), b.id])).sort(byId)).toEqual([a, b].sort(byId));
      expect((await s.usersByNames([b.username, uniq("ghost"), a.username])).sort(byId)).toEqual([a, b].sort(byId));
      expect(await s.usersByIds([])).toEqual([]);
      expect(await s.usersByNames([])).toEqual([]);
    });

    test("STORE-44 countUsers counts every account, deactivated ones too", async () => {
      const s = fresh.store;
      const before = await s.countUsers();
      const u = await newUser(s);
      await newUser(s);
      await s.deactivateUser(u.id, tick());
      expect(await s.countUsers()).toBe(before + 2);
    });

    test("STORE-45 deactivateUser sets deactivatedAt and revokes each refresh token of the user not yet revoked (earlier revocations kept)", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const other = await newUser(s);
      const live = refreshRow(u.id);
      const used = refreshRow(u.id, { usedAt: 3 });
      const revoked = refreshRow(u.id, { revokedAt: 5 });
      const theirs = refreshRow(other.id);
      for (const r of [live, used, revoked, theirs]) await s.insertRefresh(r);
      const at = tick();
      await s.deactivateUser(u.id, at);
      expect((await s.userById(u.id))!.deactivatedAt).toBe(at);
      expect((await s.userById(other.id))!.deactivatedAt).toBeNull();
      const revokedAt = async (id: string) => (await s.refreshById(id))!.revokedAt;
      expect([await revokedAt(live.id), await revokedAt(used.id), await revokedAt(revoked.id), await revokedAt(theirs.id)]).toEqual([at, at, 5, null]);
    });

    test("STORE-46 setLastSeen writes many users in one call; users not in the map and unknown ids change nothing", async () => {
      const s = fresh.store;
      const users = await Promise.all(Array.from({ length: 40 }, () => newUser(s)));
      const untouched = await newUser(s, { lastSeen: 9 });
      const count = await s.countUsers();
      const seen = new Map(users.map((u, i) => [u.id, 1000 + i] as [string, number]));
      seen.set(uniq("ghost"), 1);
      await s.setLastSeen(seen);
      await s.setLastSeen(new Map());
      expect((await s.usersByIds(users.map((u) => u.id))).map((u) => [u.id, u.lastSeen]).sort()).toEqual(users.map((u, i) => [u.id, 1000 + i]).sort());
      expect((await s.userById(untouched.id))!.lastSeen).toBe(9);
      expect(await s.countUsers()).toBe(count);
      await s.setLastSeen(new Map([[users[0].id, 5000]]));
      expect((await s.userById(users[0].id))!.lastSeen).toBe(5000);
    });

    test("STORE-152 setLastSeen takes 40,000 users in one call (a server whose users all went offline at once): no limit on bound variables", async () => {
      const s = fresh.store;
      const [a, b] = [await newUser(s), await newUser(s)];
      const seen = new Map(Array.from({ length: 40_000 }, (_, i) => [uniq(`gone${i}-`), i] as [string, number]));
      seen.set(a.id, 7001);
      seen.set(b.id, 7002);
      await s.setLastSeen(seen);
      expect([(await s.userById(a.id))!.lastSeen, (await s.userById(b.id))!.lastSeen]).toEqual([7001, 7002]);
    });
  });

  describe("refresh tokens", () => {
    const fresh = useFreshStore(factory);

    test("STORE-47 insertRefresh, then refreshById gives the row as inserted; undefined when there is none", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const r = refreshRow(u.id, { usedAt: 4, revokedAt: 6 });
      await s.insertRefresh(r);
      expect(await s.refreshById(r.id)).toEqual(r);
      expect(await s.refreshById(uniq("none"))).toBeUndefined();
    });

    test("STORE-48 useRefresh is true once (usedAt set), then false with usedAt kept; false for an unknown id", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const r = refreshRow(u.id);
      await s.insertRefresh(r);
      expect(await s.useRefresh(r.id, 100)).toBe(true);
      expect(await s.useRefresh(r.id, 200)).toBe(false);
      expect((await s.refreshById(r.id))!.usedAt).toBe(100);
      expect(await s.useRefresh(uniq("none"), 100)).toBe(false);
    });

    test("STORE-49 useRefresh is atomic: of concurrent calls on one token exactly one is true", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      for (let round = 0; round < 5; round++) {
        const r = refreshRow(u.id);
        await s.insertRefresh(r);
        const got = await Promise.all([1, 2, 3, 4, 5].map((i) => s.useRefresh(r.id, i)));
        expect(got.filter(Boolean)).toHaveLength(1);
        expect((await s.refreshById(r.id))!.usedAt).toBe(got.indexOf(true) + 1);
      }
    });

    test("STORE-50 revokeFamily revokes the family's tokens not yet revoked (earlier revocations kept), and no other family's", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const familyId = uniq("f");
      const a = refreshRow(u.id, { familyId });
      const b = refreshRow(u.id, { familyId, usedAt: 2 });
      const c = refreshRow(u.id, { familyId, revokedAt: 3 });
      const other = refreshRow(u.id);
      for (const r of [a, b, c, other]) await s.insertRefresh(r);
      await s.revokeFamily(familyId, 10);
      const revokedAt = async (id: string) => (await s.refreshById(id))!.revokedAt;
      expect([await revokedAt(a.id), await revokedAt(b.id), await revokedAt(c.id), await revokedAt(other.id)]).toEqual([10, 10, 3, null]);
      await s.revokeFamily(uniq("nofamily"), 11); // harmless
    });
  });
}
