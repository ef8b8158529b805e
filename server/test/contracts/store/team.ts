// Store contract, running a team: profile changes, the user list, sessions, invites and password-reset codes.

import { describe, expect, test } from "bun:test";
import type { InviteRow, SessionRow } from "../../../ports/store";
import { newUser, refreshRow, tick, uniq, useFreshStore, type StoreFactory } from "./fixtures";

const sessionRow = (userId: string, over: Partial<SessionRow> = {}): SessionRow => {
  const at = tick();
  return { id: uniq("s"), userId, createdAt: at, lastUsedAt: at, userAgent: "Firefox ü", ip: "203.0.113.5", endedAt: null, ...over };
};

const inviteRow = (createdBy: string, over: Partial<InviteRow> = {}): InviteRow => ({
  code: uniq("c"), maxUses: 1, uses: 0, expiresAt: tick() + 1e9, rooms: [], createdBy, createdAt: tick(), revokedAt: null, ...over,
});

export function teamRules(factory: StoreFactory) {
  describe("running a team", () => {
    const fresh = useFreshStore(factory);

    test("STORE-69 updateUser changes only the fields given; {} and an unknown id change nothing", async () => {
      const s = fresh.store;
      const u = await newUser(s, { displayName: "Before" });
      await s.updateUser(u.id, { displayName: "After 🙂", avatarId: "blob1" });
      expect(await s.userById(u.id)).toEqual({ ...u, displayName: "After 🙂", avatarId: "blob1" });
      await s.updateUser(u.id, { isAdmin: true, passwordHash: "h2", deactivatedAt: 5 });
      await s.updateUser(u.id, {});
      await s.updateUser(uniq("ghost"), { displayName: "x" });
      expect(await s.userById(u.id)).toEqual({ ...u, displayName: "After 🙂", avatarId: "blob1", isAdmin: true, passwordHash: "h2", deactivatedAt: 5 });
      await s.updateUser(u.id, { avatarId: null, deactivatedAt: null });
      expect(await s.userById(u.id)).toEqual({ ...u, displayName: "After 🙂", isAdmin: true, passwordHash: "h2" });
    });

    test("STORE-70 listUsers orders by username, pages after a cursor, searches username and display name literally and case-insensitively, activeOnly drops deactivated", async () => {
      const s = fresh.store;
      const tag = uniq("t").toLowerCase();
      const a = await newUser(s, { username: `${tag}a`, displayName: "Alice" });
      const b = await newUser(s, { username: `${tag}b`, displayName: "Bob 100%_x", deactivatedAt: 3 });
      const c = await newUser(s, { username: `${tag}c`, displayName: "Carol" });
      const other = await newUser(s, { username: uniq("z").toLowerCase(), displayName: tag.toUpperCase() + " by name" }); // sorts last
      const names = (rows: { username: string }[]) => rows.map((r) => r.username);
      expect(names(await s.listUsers({ search: tag, limit: 10 }))).toEqual([a, b, c, other].map((u) => u.username));
      expect(names(await s.listUsers({ search: tag.toUpperCase(), limit: 2 }))).toEqual([a.username, b.username]);
      expect(names(await s.listUsers({ search: tag, after: b.username, limit: 10 }))).toEqual([c.username, other.username]);
      expect(names(await s.listUsers({ search: tag, activeOnly: true, limit: 10 }))).toEqual([a.username, c.username, other.username]);
      expect(names(await s.listUsers({ search: "100%_", limit: 10 }))).toEqual([b.username]);
      expect(await s.listUsers({ search: "0%x", limit: 10 })).toEqual([]);
      expect(await s.listUsers({ search: "__" + tag, limit: 10 })).toEqual([]);
      expect((await s.listUsers({ search: `${tag}a`, limit: 1 }))[0]).toEqual(a);
      const all = await s.listUsers({ limit: 1000 });
      expect(names(all)).toEqual(names(all).slice().sort());
    });

    test("STORE-71 countAdmins counts server admins whose account is active", async () => {
      const s = fresh.store;
      const before = await s.countAdmins();
      const a = await newUser(s, { isAdmin: true });
      await newUser(s, { isAdmin: true, deactivatedAt: 4 });
      await newUser(s);
      expect(await s.countAdmins()).toBe(before + 1);
      await s.updateUser(a.id, { isAdmin: false });
      expect(await s.countAdmins()).toBe(before);
    });

    test("STORE-72 sessions: inserted as given, listed live ones most recently used first, touched unless ended", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const one = sessionRow(u.id);
      const two = sessionRow(u.id);
      const gone = sessionRow(u.id, { endedAt: 9 });
      for (const r of [one, two, gone]) await s.insertSession(r);
      await s.insertSession(sessionRow((await newUser(s)).id));
      expect(await s.sessionById(one.id)).toEqual(one);
      expect(await s.sessionById(uniq("none"))).toBeUndefined();
      expect(await s.sessionsOf(u.id)).toEqual([two, one]);
      const at = tick();
      await s.touchSession(one.id, at);
      await s.touchSession(gone.id, at);
      await s.touchSession(uniq("none"), at);
      expect(await s.sessionsOf(u.id)).toEqual([{ ...one, lastUsedAt: at }, two]);
      expect((await s.sessionById(gone.id))!.lastUsedAt).toBe(gone.lastUsedAt);
      expect(await s.sessionsOf(uniq("nobody"))).toEqual([]);
    });

    test("STORE-73 endSessions ends one, all but one, or all of a user's live sessions with their refresh tokens; deactivateUser ends them all; endedSessionsSince lists them", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const other = await newUser(s);
      const [a, b, c] = [sessionRow(u.id), sessionRow(u.id), sessionRow(u.id)];
      const theirs = sessionRow(other.id);
      for (const r of [a, b, c, theirs]) await s.insertSession(r);
      const tok = (fam: string, userId = u.id) => refreshRow(userId, { familyId: fam });
      const [ta, tb, tc, tOld, tTheirs] = [tok(a.id), tok(b.id), tok(c.id), tok(uniq("legacy")), tok(theirs.id, other.id)];
      for (const r of [ta, tb, tc, tOld, tTheirs]) await s.insertRefresh(r);
      const revokedAt = async (id: string) => (await s.refreshById(id))!.revokedAt;

      const t1 = tick();
      expect(await s.endSessions(u.id, t1, { only: theirs.id })).toEqual([]); // not theirs to end
      expect(await s.endSessions(u.id, t1, { only: a.id })).toEqual([a.id]);
      expect(await s.endSessions(u.id, t1, { only: a.id })).toEqual([]);
      expect([await revokedAt(ta.id), await revokedAt(tb.id), await revokedAt(tTheirs.id)]).toEqual([t1, null, null]);

      const t2 = tick();
      expect(await s.endSessions(u.id, t2, { except: b.id })).toEqual([c.id]);
      expect([await revokedAt(ta.id), await revokedAt(tb.id), await revokedAt(tc.id), await revokedAt(tOld.id)]).toEqual([t1, null, t2, t2]);
      expect((await s.sessionsOf(u.id)).map((x) => x.id)).toEqual([b.id]);

      const t3 = tick();
      await s.deactivateUser(u.id, t3);
      expect(await s.sessionsOf(u.id)).toEqual([]);
      expect((await s.sessionById(b.id))!.endedAt).toBe(t3);
      expect(await revokedAt(tb.id)).toBe(t3);
      expect((await s.sessionById(theirs.id))!.endedAt).toBeNull();

      const since = (await s.endedSessionsSince(t2)).filter((x) => x.userId === u.id).map((x) => x.id).sort();
      expect(since).toEqual([b.id, c.id].sort());
      expect(await s.endSessions(u.id, tick())).toEqual([]);
    });

    test("STORE-74 invites: inserted as given, live ones listed newest first, revoked once", async () => {
      const s = fresh.store;
      const admin = await newUser(s, { isAdmin: true });
      const now = tick();
      const i1 = inviteRow(admin.id, { rooms: ["r1", "r2"], maxUses: 5, createdAt: now + 1 });
      const i2 = inviteRow(admin.id, { createdAt: now + 2, uses: 1 });
      const expired = inviteRow(admin.id, { expiresAt: now });
      const revoked = inviteRow(admin.id, { revokedAt: 3 });
      for (const i of [i1, i2, expired, revoked]) await s.insertInvite(i);
      expect(await s.inviteByCode(i1.code)).toEqual(i1);
      expect(await s.inviteByCode(uniq("none"))).toBeUndefined();
      const live = (await s.liveInvites(now)).filter((i) => [i1, i2, expired, revoked].some((x) => x.code === i.code));
      expect(live).toEqual([i2, i1]);
      expect(await s.revokeInvite(i1.code, 50)).toBe(true);
      expect(await s.revokeInvite(i1.code, 60)).toBe(false);
      expect(await s.revokeInvite(uniq("none"), 60)).toBe(false);
      expect((await s.inviteByCode(i1.code))!.revokedAt).toBe(50);
    });

    test("STORE-75 consumeInvite takes one use of a usable invite; revoked, expired, used up and unknown give undefined; concurrent calls never exceed maxUses", async () => {
      const s = fresh.store;
      const admin = await newUser(s);
      const now = tick();
      const i = inviteRow(admin.id, { maxUses: 2, expiresAt: now + 1000, rooms: ["x"] });
      await s.insertInvite(i);
      expect(await s.consumeInvite(i.code, now)).toEqual({ ...i, uses: 1 });
      expect(await s.consumeInvite(i.code, now + 1000)).toBeUndefined(); // expired at expiresAt
      expect(await s.consumeInvite(i.code, now)).toEqual({ ...i, uses: 2 });
      expect(await s.consumeInvite(i.code, now)).toBeUndefined();
      const r = inviteRow(admin.id, { revokedAt: 1 });
      await s.insertInvite(r);
      expect(await s.consumeInvite(r.code, now)).toBeUndefined();
      expect(await s.consumeInvite(uniq("none"), now)).toBeUndefined();
      for (let round = 0; round < 3; round++) {
        const many = inviteRow(admin.id, { maxUses: 3, expiresAt: now + 1000 });
        await s.insertInvite(many);
        const got = await Promise.all(Array.from({ length: 10 }, () => s.consumeInvite(many.code, now)));
        expect(got.filter(Boolean)).toHaveLength(3);
        expect((await s.inviteByCode(many.code))!.uses).toBe(3);
      }
    });

    test("STORE-76 consumePasswordReset gives the user once, before expiry; concurrent calls: exactly one", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const now = tick();
      const r = { codeHash: uniq("h"), userId: u.id, createdAt: now, expiresAt: now + 100, usedAt: null };
      await s.insertPasswordReset(r);
      expect(await s.consumePasswordReset(r.codeHash, now + 100)).toBeUndefined();
      expect(await s.consumePasswordReset(r.codeHash, now)).toBe(u.id);
      expect(await s.consumePasswordReset(r.codeHash, now)).toBeUndefined();
      expect(await s.consumePasswordReset(uniq("none"), now)).toBeUndefined();
      const r2 = { ...r, codeHash: uniq("h") };
      await s.insertPasswordReset(r2);
      const got = await Promise.all([1, 2, 3, 4, 5].map(() => s.consumePasswordReset(r2.codeHash, now)));
      expect(got.filter(Boolean)).toEqual([u.id]);
    });
  });
}
