// libSQL store, rooms part: rooms, members, read marks, bans.

import { and, desc, eq, sql } from "drizzle-orm";
import { bans, members, rooms } from "../../db/schema";
import type { MemberRow, MyRoomRow, RoomRow, Store } from "../../ports/store";
import type { Db } from "./libsql";
import type { Connection } from "./libsql-connection";
import { memberRow, memberSql, membershipOf, membershipSql, roomByIdSql, roomRow } from "./rows";
import { LIMITS } from "../../protocol/types";

type RoomsPart = Pick<
  Store,
  "roomById" | "roomByDmKey" | "publicRooms" | "roomsOf" | "member" | "membership" | "members" | "advanceRead" | "setMemberFlags" | "isBanned" | "coMembers"
>;

const memberCols = {
  roomId: members.roomId,
  userId: members.userId,
  role: members.role,
  readSeq: members.readSeq,
  silencedUntil: members.silencedUntil,
  notificationsMuted: members.notificationsMuted,
  // A read mark implies delivery (STORE-124): the stored column may lag behind a read made before it existed.
  deliveredSeq: sql<number>`max(${members.deliveredSeq}, ${members.readSeq})`.mapWith(Number),
};

export function createLibsqlRooms(db: Db, conn: Connection): RoomsPart {
  // By hand (rows.ts): every authenticated room request and every send's checks run these.
  const ROOM_BY_ID = roomByIdSql("sqlite");
  const MEMBER = memberSql("sqlite");
  const MEMBERSHIP = membershipSql("sqlite");
  // Unread and mentions are computed from the log and the read mark every time: they cannot drift.
  // Unread stops counting at UNREAD_COUNT_MAX ("99+"): each counted row is a lookup in the events
  // table, and a user who never reads a busy room made every connect scan its whole backlog.
  const myRooms = db
    .select({
      room: rooms,
      role: members.role,
      readSeq: members.readSeq,
      notificationsMuted: members.notificationsMuted,
      unread: sql<number>`(SELECT count(*) FROM (SELECT 1 FROM events e WHERE e.room_id = ${rooms.id} AND e.seq > ${members.readSeq}
        AND e.kind = 'message' AND e.sender_id <> ${members.userId} AND e.deleted_at IS NULL LIMIT ${sql.raw(String(LIMITS.UNREAD_COUNT_MAX))}))`,
      mentions: sql<number>`(SELECT count(*) FROM mentions x JOIN events e ON e.room_id = x.room_id AND e.seq = x.seq
        WHERE x.user_id = ${members.userId} AND x.room_id = ${rooms.id} AND x.seq > ${members.readSeq}
        AND e.sender_id <> ${members.userId} AND e.deleted_at IS NULL)`,
    })
    .from(members)
    .innerJoin(rooms, eq(rooms.id, members.roomId))
    .where(eq(members.userId, sql.placeholder("user")))
    .orderBy(desc(rooms.lastActivity))
    .prepare();
  return {
    async roomById(id) {
      const [r] = await conn.all(ROOM_BY_ID, [id]);
      return r && roomRow(r);
    },
    async roomByDmKey(key) {
      return (await db.select().from(rooms).where(eq(rooms.dmKey, key)))[0] as RoomRow | undefined;
    },
    async publicRooms(limit) {
      const rows = await db
        .select({ room: rooms, memberCount: sql<number>`(SELECT count(*) FROM members m WHERE m.room_id = ${rooms.id})` })
        .from(rooms)
        .where(eq(rooms.kind, "public"))
        .orderBy(desc(rooms.lastActivity))
        .limit(limit);
      return rows.map((r) => ({ ...(r.room as RoomRow), memberCount: Number(r.memberCount) }));
    },
    async roomsOf(userId) {
      const rows = await myRooms.all({ user: userId });
      return rows.map(
        (r) =>
          ({
            ...(r.room as RoomRow),
            role: r.role,
            readSeq: r.readSeq,
            notificationsMuted: r.notificationsMuted,
            unread: Number(r.unread),
            // In a DM every message is addressed to me: it counts as a mention.
            mentions: r.room.kind === "dm" ? Number(r.unread) : Number(r.mentions),
          }) as MyRoomRow,
      );
    },
    async member(roomId, userId) {
      const [r] = await conn.all(MEMBER, [roomId, userId]);
      return r && memberRow(r);
    },
    async membership(roomId, userId) {
      return membershipOf((await conn.all(MEMBERSHIP, [roomId, userId]))[0]);
    },
    async members(roomId) {
      return (await db.select(memberCols).from(members).where(eq(members.roomId, roomId))) as MemberRow[];
    },
    async advanceRead(roomId, userId, seq) {
      const [r] = await db
        .update(members)
        .set({
          readSeq: sql`max(${members.readSeq}, min(${seq}, (SELECT last_seq FROM rooms WHERE id = ${roomId})))`,
          deliveredSeq: sql`max(${members.deliveredSeq}, ${members.readSeq}, min(${seq}, (SELECT last_seq FROM rooms WHERE id = ${roomId})))`,
        })
        .where(and(eq(members.roomId, roomId), eq(members.userId, userId)))
        .returning({ readSeq: members.readSeq });
      return r?.readSeq ?? 0;
    },
    async setMemberFlags(roomId, userId, flags) {
      if (Object.keys(flags).length === 0) return;
      await db.update(members).set(flags).where(and(eq(members.roomId, roomId), eq(members.userId, userId)));
    },
    async isBanned(roomId, userId) {
      return (await db.select({ u: bans.userId }).from(bans).where(and(eq(bans.roomId, roomId), eq(bans.userId, userId)))).length > 0;
    },
    async coMembers(userId) {
      const rows = await db.all<{ user_id: string }>(
        sql`SELECT DISTINCT o.user_id FROM members m JOIN members o ON o.room_id = m.room_id WHERE m.user_id = ${userId} AND o.user_id <> ${userId}`,
      );
      return rows.map((r) => r.user_id);
    },
  };
}
