// Rooms: create, discover, join, leave, invite, kick, DMs. Membership changes are room events.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { MemberChange, Role, Room, RoomKind, User } from "../../protocol/types";
import type { Effect, MemberRow, MyRoomRow, RoomRow } from "../../ports/store";
import { publicUser } from "../auth/service";
import { policyChanged } from "../../realtime/publish";

const NAME_MAX = 80;
const TOPIC_MAX = 500;

export function roomView(r: RoomRow, extra: Partial<Room> = {}): Room {
  return { id: r.id, name: r.name, kind: r.kind, topic: r.topic, lastSeq: r.lastSeq, lastActivity: r.lastActivity, slowModeSec: r.slowModeSec, messageTtlSec: r.messageTtlSec, ...extra };
}

/**
 * The membership gate for every route and frame. A non-member learns nothing about private rooms
 * and DMs (404, as if absent); public rooms answer 403.
 */
export async function requireMember(ctx: Context, roomId: string, userId: string): Promise<{ room: RoomRow; member: MemberRow }> {
  const { room, member } = await ctx.store.membership(roomId, userId);
  if (!room) throw new AppError("not_found", "no such room");
  if (!member) {
    if (room.kind === "public") throw new AppError("forbidden", "not a member of this room");
    throw new AppError("not_found", "no such room");
  }
  return { room, member };
}

export const isAdmin = (role: Role) => role === "owner" || role === "admin";

/** A membership change as a room event; its effects commit with it. */
export function memberEvent(ctx: Context, room: string, sender: string, userId: string, change: MemberChange, effects: Effect[], extra: { user?: User; until?: number | null; role?: Role } = {}) {
  return { room, kind: "member" as const, sender, ts: ctx.clock.now(), data: { userId, change, ...extra }, effects };
}

export function createRooms(ctx: Context) {
  const { store, writer, clock, ids } = ctx;
  const memberEv = (room: string, sender: string, userId: string, change: MemberChange, effects: Effect[], user?: User) =>
    memberEvent(ctx, room, sender, userId, change, effects, user ? { user } : {});

  async function userByName(username: unknown): Promise<User & { row: true }> {
    if (typeof username !== "string") throw new AppError("invalid_request", "username required");
    const u = await store.userByName(username.toLowerCase());
    if (!u || u.deactivatedAt) throw new AppError("not_found", "no such user");
    return { ...publicUser(u), row: true };
  }

  async function withPeers(rows: MyRoomRow[], me: string): Promise<Room[]> {
    const dms = rows.filter((r) => r.kind === "dm");
    const peerIds = new Map<string, string>();
    for (const r of dms) peerIds.set(r.id, r.dmKey!.split(":").find((id) => id !== me) ?? me);
    const peers = new Map((await store.usersByIds([...new Set(peerIds.values())])).map((u) => [u.id, publicUser(u)]));
    return rows.map((r) =>
      roomView(r, { role: r.role, lastReadSeq: r.readSeq, unread: r.unread, mentions: r.mentions, notificationsMuted: r.notificationsMuted, ...(r.kind === "dm" ? { peer: peers.get(peerIds.get(r.id)!) } : {}) }),
    );
  }

  return {
    async membersOf(me: string, roomId: string) {
      await requireMember(ctx, roomId, me);
      const ms = await store.members(roomId);
      const users = new Map((await store.usersByIds(ms.map((m) => m.userId))).map((u) => [u.id, u]));
      return ms.map((m) => ({
        user: publicUser(users.get(m.userId)!),
        role: m.role,
        readSeq: m.readSeq,
        deliveredSeq: m.deliveredSeq,
        silencedUntil: m.silencedUntil,
        presence: ctx.presence.of(m.userId),
      }));
    },

    async mine(me: string): Promise<Room[]> {
      return withPeers(await store.roomsOf(me), me);
    },

    async listPublic(): Promise<Room[]> {
      return (await store.publicRooms(200)).map((r) => roomView(r, { memberCount: r.memberCount }));
    },

    async create(me: User, input: { name: string; kind: RoomKind; topic?: string }): Promise<Room> {
      const name = input.name.trim();
      if (!name || name.length > NAME_MAX) throw new AppError("invalid_request", `name must be 1–${NAME_MAX} characters`);
      if (input.kind !== "public" && input.kind !== "private") throw new AppError("invalid_request", "kind must be public or private");
      const topic = (input.topic ?? "").trim();
      if (topic.length > TOPIC_MAX) throw new AppError("invalid_request", `topic must be at most ${TOPIC_MAX} characters`);
      const now = clock.now();
      const row = { id: ids.id(), name, kind: input.kind, topic, createdBy: me.id, createdAt: now, lastActivity: now, dmKey: null, slowModeSec: 0, messageTtlSec: 0 };
      const [w] = await writer.appendAll([
        memberEv(row.id, me.id, me.id, "join", [{ type: "room.create", room: row }, { type: "member.add", userId: me.id, role: "owner" }], me),
      ]);
      return roomView({ ...row, lastSeq: w.event.seq }, { role: "owner", lastReadSeq: w.event.seq, unread: 0 });
    },

    async join(me: User, roomId: string): Promise<Room> {
      const room = await store.roomById(roomId);
      const member = room && (await store.member(roomId, me.id));
      if (room && member) return roomView(room, { role: member.role, lastReadSeq: member.readSeq });
      if (!room || room.kind !== "public") throw new AppError("not_found", "no such room");
      if (await store.isBanned(roomId, me.id)) throw new AppError("forbidden", "you are banned from this room");
      const w = await writer.append(memberEv(roomId, me.id, me.id, "join", [{ type: "member.add", userId: me.id, role: "member" }], me));
      return roomView({ ...room, lastSeq: w.event.seq }, { role: "member", lastReadSeq: w.event.seq, unread: 0 });
    },

    async leave(me: User, roomId: string): Promise<void> {
      const { room } = await requireMember(ctx, roomId, me.id);
      if (room.kind === "dm") throw new AppError("forbidden", "a direct message cannot be left");
      await writer.append(memberEv(roomId, me.id, me.id, "leave", [{ type: "member.remove", userId: me.id }]));
    },

    async invite(me: User, roomId: string, username: unknown): Promise<void> {
      const { room, member } = await requireMember(ctx, roomId, me.id);
      if (room.kind === "dm") throw new AppError("forbidden", "a direct message has exactly two members");
      if (room.kind === "private" && !isAdmin(member.role)) throw new AppError("forbidden", "only admins can add people to a private room");
      const target = await userByName(username);
      if (await store.member(roomId, target.id)) throw new AppError("conflict", "already a member");
      if (await store.isBanned(roomId, target.id)) throw new AppError("forbidden", "this user is banned from the room");
      const { row: _, ...user } = target;
      await writer.append(memberEv(roomId, me.id, user.id, "invite", [{ type: "member.add", userId: user.id, role: "member" }], user));
    },

    async kick(me: User, roomId: string, userId: string): Promise<void> {
      const { member } = await requireMember(ctx, roomId, me.id);
      if (!isAdmin(member.role)) throw new AppError("forbidden", "only admins can remove members");
      const target = await store.member(roomId, userId);
      if (!target) throw new AppError("not_found", "not a member");
      if (target.role === "owner" || (target.role === "admin" && member.role !== "owner")) throw new AppError("forbidden", "cannot remove this member");
      await writer.append(memberEv(roomId, me.id, userId, "kick", [{ type: "member.remove", userId }]));
    },

    /** The owner sets anyone's role; an admin may only make a member an admin. A `member` event with change "role". */
    async setRole(me: User, roomId: string, userId: string, role: "admin" | "member"): Promise<void> {
      const { room, member } = await requireMember(ctx, roomId, me.id);
      if (room.kind === "dm") throw new AppError("forbidden", "a direct message has no roles");
      if (!isAdmin(member.role)) throw new AppError("forbidden", "only the owner and admins can change roles");
      const target = await store.member(roomId, userId);
      if (!target) throw new AppError("not_found", "not a member");
      if (target.role === "owner") throw new AppError("forbidden", "the owner's role changes only by handing over ownership");
      if (member.role !== "owner" && !(target.role === "member" && role === "admin")) throw new AppError("forbidden", "an admin may only make members admins");
      if (target.role === role) return;
      await writer.append(memberEvent(ctx, roomId, me.id, userId, "role", [{ type: "member.add", userId, role }], { role }));
      policyChanged(ctx.bus, roomId); // the send policy caches who is an admin (stored with the event, so just after it)
    },

    /** The owner hands the room to a member, who becomes owner; the old owner becomes an admin. Two `member` events, one commit. */
    async transferOwnership(me: User, roomId: string, userId: string): Promise<void> {
      const { room, member } = await requireMember(ctx, roomId, me.id);
      if (member.role !== "owner" || room.kind === "dm") throw new AppError("forbidden", "only the owner can hand over the room");
      if (userId === me.id) throw new AppError("invalid_request", "you already own this room");
      if (!(await store.member(roomId, userId))) throw new AppError("not_found", "not a member");
      await writer.appendAll([
        memberEvent(ctx, roomId, me.id, userId, "role", [{ type: "member.add", userId, role: "owner" }], { role: "owner" }),
        memberEvent(ctx, roomId, me.id, me.id, "role", [{ type: "member.add", userId: me.id, role: "admin" }], { role: "admin" }),
      ]);
      policyChanged(ctx.bus, roomId);
    },

    /** The one DM room of a pair: created on first call, the same room ever after. */
    async dm(me: User, username: unknown): Promise<Room> {
      const peer = await userByName(username);
      const { row: _, ...other } = peer;
      if (other.id === me.id) throw new AppError("invalid_request", "a direct message needs another person");
      if ((await store.blockersAmong(me.id, [other.id])).length > 0) throw new AppError("forbidden", "this person does not accept your messages");
      const key = [me.id, other.id].sort().join(":");
      const existing = await store.roomByDmKey(key);
      const view = (r: RoomRow) => roomView(r, { peer: other });
      if (existing) return view(existing);
      const now = clock.now();
      const row = { id: ids.id(), name: "", kind: "dm" as const, topic: "", createdBy: me.id, createdAt: now, lastActivity: now, dmKey: key, slowModeSec: 0, messageTtlSec: 0 };
      const events = [memberEv(row.id, me.id, me.id, "join", [{ type: "room.create", room: row }, { type: "member.add", userId: me.id, role: "member" }], me)];
      events.push(memberEv(row.id, me.id, other.id, "join", [{ type: "member.add", userId: other.id, role: "member" }], other));
      try {
        const ws = await writer.appendAll(events);
        return view({ ...row, lastSeq: ws[ws.length - 1].event.seq });
      } catch (e) {
        const raced = await store.roomByDmKey(key); // a concurrent call created it first
        if (raced) return view(raced);
        throw e;
      }
    },
  };
}

export type Rooms = ReturnType<typeof createRooms>;
