// Store contract, rooms: lookups, the room list with computed unread and mention counts, members, read marks, bans.

import { describe, expect, test } from "bun:test";
import { LIMITS } from "../../../protocol/types";
import type { MyRoomRow, Store } from "../../../ports/store";
import { deleteEv, memberEv, msg, newRoom, newUser, one, uniq, useFreshStore, type StoreFactory } from "./fixtures";

export function roomRules(factory: StoreFactory) {
  describe("rooms and members", () => {
    const fresh = useFreshStore(factory);
    const mine = async (s: Store, user: string, room: string): Promise<MyRoomRow> => (await s.roomsOf(user)).find((r) => r.id === room)!;

    test("STORE-25 roomById and roomByDmKey give the row; undefined when there is none", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const dmKey = [u.id, v.id].sort().join(":");
      const dm = await newRoom(s, u.id, { kind: "dm", dmKey, members: [v.id] });
      expect(dm).toMatchObject({ kind: "dm", dmKey, lastSeq: 2 });
      expect(await s.roomByDmKey(dmKey)).toEqual(dm);
      expect(await s.roomByDmKey(uniq("nokey"))).toBeUndefined();
      expect(await s.roomById(uniq("noroom"))).toBeUndefined();
    });

    test("STORE-26 publicRooms: public rooms only, most recent activity first, at most `limit`, with their member count", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const w = await newUser(s);
      const p1 = await newRoom(s, u.id);
      const p2 = await newRoom(s, u.id);
      const p3 = await newRoom(s, u.id, { members: [v.id, w.id] });
      const priv = await newRoom(s, u.id, { kind: "private" });
      const dm = await newRoom(s, u.id, { kind: "dm", dmKey: uniq("dm"), members: [v.id] });
      const top = await s.publicRooms(2);
      expect(top.map((r) => [r.id, r.memberCount])).toEqual([[p3.id, 3], [p2.id, 1]]);
      expect(top[0]).toEqual({ ...p3, memberCount: 3 });
      await one(s, msg(p1.id, u.id, "bump"));
      expect((await s.publicRooms(2)).map((r) => r.id)).toEqual([p1.id, p3.id]);
      const all = await s.publicRooms(1000);
      expect(all.every((r) => r.kind === "public")).toBe(true);
      expect(all.map((r) => r.id)).not.toContain(priv.id);
      expect(all.map((r) => r.id)).not.toContain(dm.id);
    });

    test("STORE-27 roomsOf: exactly the user's rooms, most recent activity first, each with role, read mark and notification mute", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const a = await newRoom(s, u.id);
      const b = await newRoom(s, v.id, { kind: "private", members: [u.id] });
      await newRoom(s, v.id); // not u's
      const d = await newRoom(s, v.id, { kind: "dm", dmKey: uniq("dm"), members: [u.id] });
      await one(s, msg(a.id, u.id, "bump"));
      const rows = await s.roomsOf(u.id);
      expect(rows.map((r) => r.id)).toEqual([a.id, d.id, b.id]);
      expect(rows[0]).toEqual({ ...(await s.roomById(a.id))!, role: "owner", readSeq: 1, unread: 0, mentions: 0, notificationsMuted: false });
      expect(rows[2]).toMatchObject({ kind: "private", role: "member", readSeq: 2 });
      expect(await s.roomsOf(uniq("nobody"))).toEqual([]);
    });

    test("STORE-28 unread counts messages after the read mark that are not the user's own and not deleted (no other kinds); it stops at UNREAD_COUNT_MAX", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const w = await newUser(s);
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      const [, m2] = (await s.append([msg(room, v.id, "1"), msg(room, v.id, "2"), msg(room, v.id, "3"), msg(room, u.id, "mine")])).map((r) => r.event);
      const gone = await one(s, msg(room, v.id, "gone"));
      await s.append([memberEv(room, w.id, w.id, "join", [{ type: "member.add", userId: w.id, role: "member" }]), deleteEv(room, v.id, gone.seq)]);
      expect((await mine(s, u.id, room)).unread).toBe(3);
      expect((await mine(s, v.id, room)).unread).toBe(1);
      await s.advanceRead(room, u.id, m2.seq);
      expect((await mine(s, u.id, room)).unread).toBe(1);
      await s.append(Array.from({ length: LIMITS.UNREAD_COUNT_MAX + 50 }, (_, i) => msg(room, v.id, `flood ${i}`)));
      expect((await mine(s, u.id, room)).unread).toBe(LIMITS.UNREAD_COUNT_MAX);
      await s.advanceRead(room, u.id, await s.lastSeq(room));
      expect((await mine(s, u.id, room)).unread).toBe(0);
    });

    test("STORE-29 mentions counts mentions after the read mark, not the user's own, not deleted, uncapped; in a DM every unread message counts", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      const at = (sender: string, body: string) => msg(room, sender, body, { data: { mentions: [u.id] }, effects: [{ type: "mentions.add", userIds: [u.id] }] });
      const [first] = (await s.append([at(v.id, "@u"), at(u.id, "@u (myself)")])).map((r) => r.event);
      const gone = await one(s, at(v.id, "@u deleted"));
      await one(s, deleteEv(room, v.id, gone.seq));
      expect((await mine(s, u.id, room)).mentions).toBe(1);
      const second = await one(s, at(v.id, "@u again"));
      await s.advanceRead(room, u.id, first.seq);
      expect((await mine(s, u.id, room)).mentions).toBe(1);
      await s.advanceRead(room, u.id, second.seq);
      expect((await mine(s, u.id, room)).mentions).toBe(0);
      const many = LIMITS.UNREAD_COUNT_MAX + 20;
      await s.append(Array.from({ length: many }, (_, i) => at(v.id, `@u ${i}`)));
      expect(await mine(s, u.id, room)).toMatchObject({ unread: LIMITS.UNREAD_COUNT_MAX, mentions: many });

      const dm = (await newRoom(s, u.id, { kind: "dm", dmKey: uniq("dm"), members: [v.id] })).id;
      await s.append([msg(dm, v.id, "psst"), msg(dm, v.id, "hello?"), msg(dm, u.id, "mine")]);
      expect(await mine(s, u.id, dm)).toMatchObject({ unread: 2, mentions: 2 });
    });

    test("STORE-30 member and members give the membership rows; undefined or empty when there are none", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      expect(await s.member(room, u.id)).toEqual({ roomId: room, userId: u.id, role: "owner", readSeq: 1, silencedUntil: null, notificationsMuted: false, deliveredSeq: 1 });
      const ms = await s.members(room);
      expect(ms.map((m) => m.userId).sort()).toEqual([u.id, v.id].sort());
      expect(ms.find((m) => m.userId === v.id)).toEqual({ roomId: room, userId: v.id, role: "member", readSeq: 2, silencedUntil: null, notificationsMuted: false, deliveredSeq: 2 });
      expect(await s.member(room, uniq("stranger"))).toBeUndefined();
      expect(await s.members(uniq("noroom"))).toEqual([]);
    });

    test("STORE-151 membership gives roomById and member in one read: both, the room alone for a non-member, nothing for an unknown room", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      await s.append([msg(room, u.id, "one")]);
      await s.advanceRead(room, v.id, await s.lastSeq(room));
      for (const who of [u.id, v.id]) expect(await s.membership(room, who)).toEqual({ room: await s.roomById(room), member: await s.member(room, who) });
      expect((await s.membership(room, v.id)).member!.readSeq).toBe(await s.lastSeq(room));
      const stranger = await s.membership(room, uniq("stranger"));
      expect(stranger.room).toEqual(await s.roomById(room));
      expect(stranger.member).toBeUndefined();
      expect(await s.membership(uniq("noroom"), u.id)).toEqual({});
    });

    test("STORE-31 advanceRead moves the mark forward only, never past the room's lastSeq, and returns the mark; 0 for a non-member", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const room = (await newRoom(s, u.id)).id;
      await s.append(Array.from({ length: 6 }, (_, i) => msg(room, u.id, `${i}`)));
      const last = await s.lastSeq(room);
      expect(await s.advanceRead(room, u.id, last - 2)).toBe(last - 2);
      expect(await s.advanceRead(room, u.id, last - 4)).toBe(last - 2);
      expect((await s.member(room, u.id))!.readSeq).toBe(last - 2);
      expect(await s.advanceRead(room, u.id, last + 100)).toBe(last);
      expect((await s.member(room, u.id))!.readSeq).toBe(last);
      expect(await s.advanceRead(room, uniq("stranger"), 3)).toBe(0);
      expect(await s.member(room, uniq("stranger"))).toBeUndefined();
    });

    test("STORE-32 setMemberFlags changes only the flags given (null lifts a silence); on a non-member it does nothing", async () => {
      const s = fresh.store;
      const u = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, u.id, { members: [v.id] })).id;
      await s.setMemberFlags(room, v.id, { silencedUntil: 123 });
      expect(await s.member(room, v.id)).toMatchObject({ silencedUntil: 123, notificationsMuted: false });
      await s.setMemberFlags(room, v.id, { notificationsMuted: true });
      expect(await s.member(room, v.id)).toMatchObject({ silencedUntil: 123, notificationsMuted: true });
      await s.setMemberFlags(room, v.id, { silencedUntil: null });
      expect(await s.member(room, v.id)).toMatchObject({ silencedUntil: null, notificationsMuted: true, role: "member", readSeq: 2 });
      await s.setMemberFlags(room, v.id, {});
      expect(await s.member(room, v.id)).toMatchObject({ silencedUntil: null, notificationsMuted: true });
      expect(await s.member(room, u.id)).toMatchObject({ silencedUntil: null, notificationsMuted: false });
      const stranger = uniq("stranger");
      await s.setMemberFlags(room, stranger, { notificationsMuted: true });
      expect(await s.member(room, stranger)).toBeUndefined();
    });

    test("STORE-33 coMembers: each user sharing a room with this one, once, never the user itself", async () => {
      const s = fresh.store;
      const [u, v, w, x, y, alone] = await Promise.all(Array.from({ length: 6 }, () => newUser(s)));
      await newRoom(s, u.id, { members: [v.id, w.id] });
      const b = (await newRoom(s, x.id, { members: [u.id, v.id] })).id;
      await newRoom(s, y.id, { members: [w.id] });
      expect((await s.coMembers(u.id)).sort()).toEqual([v.id, w.id, x.id].sort());
      expect((await s.coMembers(y.id)).sort()).toEqual([w.id]);
      await one(s, memberEv(b, x.id, x.id, "leave", [{ type: "member.remove", userId: x.id }]));
      expect((await s.coMembers(u.id)).sort()).toEqual([v.id, w.id].sort());
      expect(await s.coMembers(alone.id)).toEqual([]);
    });
  });
}
