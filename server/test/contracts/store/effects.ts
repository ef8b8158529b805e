// Store contract, effects: each side effect commits with its event and leaves the state the port describes.

import { describe, expect, test } from "bun:test";
import type { EditEvent, MessageEvent } from "../../../protocol/types";
import {
  deleteEv, editEv, history, memberEv, msg, newRoom, newUser, one, reactEv, seqs, sortedReactions, tick, uploadRow, useFreshStore, type StoreFactory,
} from "./fixtures";

export function effectRules(factory: StoreFactory) {
  describe("append effects", () => {
    const fresh = useFreshStore(factory);

    test("STORE-10 member.add: role, read mark at its own event; again on a member: role changes, mark kept. member.remove removes; on a non-member nothing happens", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, o.id)).id;
      const join = await one(s, memberEv(room, o.id, v.id, "invite", [{ type: "member.add", userId: v.id, role: "member" }]));
      expect(await s.member(room, v.id)).toEqual({ roomId: room, userId: v.id, role: "member", readSeq: join.seq, silencedUntil: null, notificationsMuted: false, deliveredSeq: join.seq });
      await one(s, msg(room, o.id, "hello"));
      await one(s, memberEv(room, o.id, v.id, "invite", [{ type: "member.add", userId: v.id, role: "admin" }]));
      expect(await s.member(room, v.id)).toMatchObject({ role: "admin", readSeq: join.seq });
      await one(s, memberEv(room, v.id, v.id, "leave", [{ type: "member.remove", userId: v.id }]));
      expect(await s.member(room, v.id)).toBeUndefined();
      expect((await s.members(room)).map((m) => m.userId)).toEqual([o.id]);
      await one(s, memberEv(room, v.id, v.id, "leave", [{ type: "member.remove", userId: v.id }]));
      expect((await s.members(room)).map((m) => m.userId)).toEqual([o.id]);
    });

    test("STORE-11 room.update changes only the fields it names", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const room = await newRoom(s, o.id);
      const update = (f: { name?: string; topic?: string; slowModeSec?: number }) =>
        one(s, { room: room.id, kind: "room", sender: o.id, ts: tick(), data: f, effects: [{ type: "room.update", ...f }] });
      await update({ topic: "new topic" });
      expect(await s.roomById(room.id)).toMatchObject({ name: room.name, topic: "new topic", slowModeSec: 0 });
      await update({ name: "renamed", slowModeSec: 30 });
      expect(await s.roomById(room.id)).toMatchObject({ name: "renamed", topic: "new topic", slowModeSec: 30 });
    });

    test("STORE-12 mentions.add: each mentioned user's mention count rises once (repeated ids count once)", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const v = await newUser(s);
      const w = await newUser(s);
      const room = (await newRoom(s, o.id, { members: [v.id, w.id] })).id;
      await one(s, msg(room, o.id, "@v @v", { data: { mentions: [v.id] }, effects: [{ type: "mentions.add", userIds: [v.id, v.id] }] }));
      const mentionsOf = async (u: string) => (await s.roomsOf(u)).find((r) => r.id === room)!.mentions;
      expect(await mentionsOf(v.id)).toBe(1);
      expect(await mentionsOf(w.id)).toBe(0);
    });

    test("STORE-13 uploads.attach takes only the sender's own, unclaimed, undeleted uploads of that room", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, o.id, { members: [v.id] })).id;
      const elsewhere = (await newRoom(s, o.id)).id;
      const mine = uploadRow(room, o.id);
      const theirs = uploadRow(room, v.id);
      const otherRoom = uploadRow(elsewhere, o.id);
      const claimed = uploadRow(room, o.id);
      const deleted = uploadRow(room, o.id, { deletedAt: tick() });
      for (const u of [mine, theirs, otherRoom, claimed, deleted]) await s.uploads.insert(u);
      const earlier = await one(s, msg(room, o.id, "earlier", { effects: [{ type: "uploads.attach", ids: [claimed.id] }] }));
      const ids = [mine, theirs, otherRoom, claimed, deleted].map((u) => u.id);
      const m = await one(s, msg(room, o.id, "files", { effects: [{ type: "uploads.attach", ids }] }));
      const after = new Map((await s.uploads.byIds(ids)).map((u) => [u.id, u.msgSeq]));
      expect(Object.fromEntries(after)).toEqual({ [mine.id]: m.seq, [theirs.id]: null, [otherRoom.id]: null, [claimed.id]: earlier.seq, [deleted.id]: null });
    });

    test("STORE-14 message.edit replaces the body (editedAt = the edit's ts) and the message's mention rows", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const v = await newUser(s);
      const w = await newUser(s);
      const room = (await newRoom(s, o.id, { members: [v.id, w.id] })).id;
      const m = await one(s, msg(room, o.id, "hi @v", { data: { mentions: [v.id] }, effects: [{ type: "mentions.add", userIds: [v.id] }] }));
      const e = editEv(room, o.id, m.seq, "hi @w", [w.id]);
      await one(s, e);
      const stored = (await history(s, room)).find((x) => x.seq === m.seq) as MessageEvent;
      expect(stored).toMatchObject({ body: "hi @w", editedAt: e.ts });
      expect(stored.deleted).toBeUndefined();
      expect(await s.message(room, m.seq)).toEqual({ seq: m.seq, kind: "message", sender: o.id, body: "hi @w", deleted: false });
      const mentionsOf = async (u: string) => (await s.roomsOf(u)).find((r) => r.id === room)!.mentions;
      expect([await mentionsOf(v.id), await mentionsOf(w.id)]).toEqual([0, 1]);
    });

    test("STORE-15 message.delete leaves a tombstone: no body (nor in earlier edits), no mentions, reactions or attachments; its uploads marked deleted", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, o.id, { members: [v.id] })).id;
      const up = uploadRow(room, o.id);
      await s.uploads.insert(up);
      const attachments = [{ id: up.id, filename: up.filename, mime: up.mime, size: up.size }];
      const m = await one(s, msg(room, o.id, "secret @v", {
        data: { mentions: [v.id], attachments }, effects: [{ type: "mentions.add", userIds: [v.id] }, { type: "uploads.attach", ids: [up.id] }],
      }));
      const keep = await one(s, msg(room, o.id, "stays"));
      const edit = await one<EditEvent>(s, editEv(room, o.id, m.seq, "edited secret @v", [v.id]));
      await s.append([reactEv(room, v.id, m.seq, "👍", true), reactEv(room, v.id, keep.seq, "👍", true)]);
      const del = deleteEv(room, o.id, m.seq);
      const d = await one(s, del);

      const h = await history(s, room);
      const tomb = h.find((x) => x.seq === m.seq) as MessageEvent;
      expect(tomb).toMatchObject({ kind: "message", deleted: true, body: "" });
      expect(tomb.reactions).toBeUndefined();
      expect(tomb.mentions).toBeUndefined();
      expect(tomb.attachments).toBeUndefined();
      const scrubbed = h.find((x) => x.seq === edit.seq) as EditEvent & { mentions?: string[] };
      expect(scrubbed).toMatchObject({ kind: "edit", msgSeq: m.seq });
      expect(scrubbed.body).toBeUndefined();
      expect(scrubbed.mentions).toBeUndefined();
      expect(h.find((x) => x.seq === d.seq)).toMatchObject({ kind: "delete", msgSeq: m.seq });
      expect(await s.message(room, m.seq)).toEqual({ seq: m.seq, kind: "message", sender: o.id, body: null, deleted: true });
      expect((await s.message(room, edit.seq))!.body).toBeNull();
      expect(await s.hasReaction(room, m.seq, "👍", v.id)).toBe(false);
      expect((await s.roomsOf(v.id)).find((r) => r.id === room)!.mentions).toBe(0);
      expect((await s.uploads.byId(up.id))!.deletedAt).toBe(del.ts);
      // The other message is untouched.
      expect(h.find((x) => x.seq === keep.seq)).toMatchObject({ body: "stays", reactions: { "👍": [v.id] } });
    });

    test("STORE-150 one delete per message: a delete of a deleted message, in a later batch or the same one, appends nothing, takes no seq and gets the first delete event with duplicate=true", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const a = await newUser(s);
      const room = (await newRoom(s, o.id, { members: [a.id] })).id;
      const m1 = await one(s, msg(room, o.id, "one"));
      const m2 = await one(s, msg(room, o.id, "two"));
      const first = await s.append([deleteEv(room, o.id, m1.seq)]);
      expect(first[0].duplicate).toBe(false);
      // Later: the user's delete and the expiry job's, each refused; the events around them keep gapless seqs.
      const expired = { ...deleteEv(room, o.id, m1.seq), data: { msgSeq: m1.seq, expired: true } };
      const later = await s.append([msg(room, o.id, "before"), deleteEv(room, a.id, m1.seq), expired, msg(room, o.id, "after")]);
      expect(later.map((r) => [r.event.seq, r.duplicate])).toEqual([[first[0].event.seq + 1, false], [first[0].event.seq, true], [first[0].event.seq, true], [first[0].event.seq + 2, false]]);
      expect(later[1].event).toEqual(first[0].event);
      // Two deletes of one live message in one batch: the first is stored, the second gets its event.
      const same = await s.append([deleteEv(room, o.id, m2.seq), msg(room, o.id, "between"), deleteEv(room, a.id, m2.seq)]);
      expect(same.map((r) => r.duplicate)).toEqual([false, false, true]);
      expect(same[2].event).toEqual(same[0].event);
      const h = await history(s, room);
      expect(seqs(h)).toEqual(h.map((_, i) => i + 1));
      expect(await s.lastSeq(room)).toBe(h.length);
      expect(h.filter((e) => e.kind === "delete").map((e) => (e as { msgSeq: number }).msgSeq)).toEqual([m1.seq, m2.seq]);
    });

    test("STORE-16 reaction.set: on stores one reaction per (message, emoji, user) even when repeated; off removes it; off when absent is harmless", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, o.id, { members: [v.id] })).id;
      const m = await one(s, msg(room, o.id, "react to me"));
      await s.append([reactEv(room, o.id, m.seq, "👍", true), reactEv(room, v.id, m.seq, "👍", true), reactEv(room, v.id, m.seq, "🎉", true)]);
      await one(s, reactEv(room, v.id, m.seq, "👍", true));
      const reactions = async () => sortedReactions(((await history(s, room)).find((x) => x.seq === m.seq) as MessageEvent).reactions);
      expect(await reactions()).toEqual({ "👍": [o.id, v.id].sort(), "🎉": [v.id] });
      expect(await s.hasReaction(room, m.seq, "👍", v.id)).toBe(true);
      await one(s, reactEv(room, v.id, m.seq, "👍", false));
      expect(await s.hasReaction(room, m.seq, "👍", v.id)).toBe(false);
      expect(await reactions()).toEqual({ "👍": [o.id], "🎉": [v.id] });
      await s.append([reactEv(room, o.id, m.seq, "👍", false), reactEv(room, v.id, m.seq, "🎉", false), reactEv(room, v.id, m.seq, "🎉", false)]);
      expect(await reactions()).toBeUndefined();
    });

    test("STORE-17 ban.add / ban.remove: isBanned per room; a repeated ban.add is harmless", async () => {
      const s = fresh.store;
      const o = await newUser(s);
      const v = await newUser(s);
      const room = (await newRoom(s, o.id, { members: [v.id] })).id;
      const other = (await newRoom(s, o.id)).id;
      expect(await s.isBanned(room, v.id)).toBe(false);
      await one(s, memberEv(room, o.id, v.id, "ban", [{ type: "member.remove", userId: v.id }, { type: "ban.add", userId: v.id, by: o.id }]));
      expect(await s.isBanned(room, v.id)).toBe(true);
      expect(await s.member(room, v.id)).toBeUndefined();
      expect(await s.isBanned(other, v.id)).toBe(false);
      await one(s, memberEv(room, o.id, v.id, "ban", [{ type: "ban.add", userId: v.id, by: o.id }]));
      expect(await s.isBanned(room, v.id)).toBe(true);
      await one(s, memberEv(room, o.id, v.id, "unban", [{ type: "ban.remove", userId: v.id }]));
      expect(await s.isBanned(room, v.id)).toBe(false);
    });
  });
}
