// PostgreSQL store, rooms part: rooms, members, read marks, bans.

import type { SQL } from "bun";
import { and, desc, eq, sql } from "drizzle-orm";
import { bans, members, rooms } from "../../db/schema.pg";
import type { MemberRow, MyRoomRow, RoomRow, Store } from "../../ports/store";
import { LIMITS } from "../../protocol/types";
import type { PgDb } from "./postgres";
import { memberRow, memberSql, membershipOf, membershipSql, roomByIdSql, roomRow } from "./rows";

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
  deliveredSeq: sql<number>`GREATEST(${members.deliveredSeq}, ${members.readSeq})`.mapWith(Number),
};

const ROOM_BY_ID = roomByIdSql("pg");
const MEMBER = memberSql("pg");
const MEMBERSHIP = membershipSql("pg");

export function createPostgresRooms(db: PgDb, client: SQL): RoomsPart {
  // As on libSQL: unread and mentions come from the log and the read mark every time (they cannot
  // drift), and unread stops counting at UNREAD_COUNT_MAX ("99+") so a never-read busy room stays cheap.
  const myRooms = db
    .select({
      room: rooms,
      role: members.role,
      readSeq: members.readSeq,
      notificationsMuted: members.notificationsMuted,
      unread: sql<string>`(SELECT count(*) FROM (SELECT 1 FROM events e WHERE e.room_id = ${rooms.id} AND e.seq > ${members.readSeq}
        AND e.kind = 'message' AND e.sender_id <> ${members.userId} AND e.deleted_at IS NULL LIMIT ${sql.raw(String(LIMITS.UNREAD_COUNT_MAX))}) u)`,
      mentions: sql<string>`(SELECT count(*) FROM mentions x JOIN events e ON e.room_id = x.room_id AND e.seq = x.seq
        WHERE x.user_id = ${members.userId} AND x.room_id = ${rooms.id} AND x.seq > ${members.readSeq}
        AND e.sender_id <> ${members.userId} AND e.deleted_at IS NULL)`,
    })
    .from(members)
    .innerJoin(rooms, eq(rooms.id, members.roomId))
    .where(eq(members.userId, sql.placeholder("user")))
    .orderBy(desc(rooms.lastActivity))
    .prepare("rooms_of");
  return {
    async roomById(id) {
      // By hand like member(): both run on every send and every authenticated room request.
      const [r] = await client.unsafe(ROOM_BY_ID, [id]);
      return r && roomRow(r);
    },
    async roomByDmKey(key) {
      return (await db.select().from(rooms).where(eq(rooms.dmKey, key)))[0] as RoomRow | undefined;
    },
    async publicRooms(limit) {
      const rows = await db
        .select({ room: rooms, memberCount: sql<string>`(SELECT count(*) FROM members m WHERE m.room_id = ${rooms.id})` })
        .from(rooms)
        .where(eq(rooms.kind, "public"))
        .orderBy(desc(rooms.lastActivity))
        .limit(limit);
      return rows.map((r) => ({ ...(r.room as RoomRow), memberCount: Number(r.memberCount) }));
    },
    async roomsOf(userId) {
      const rows = await myRooms.execute({ user: userId });
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
      const [r] = await client.unsafe(MEMBER, [roomId, userId]);
      return r && memberRow(r);
    },
    async membership(roomId, userId) {
      return membershipOf((await client.unsafe(MEMBERSHIP, [roomId, userId]))[0]);
    },
    async members(roomId) {
      return (await db.select(memberCols).from(members).where(eq(members.roomId, roomId))) as MemberRow[];
    },
    async advanceRead(roomId, userId, seq) {
      // One statement: the mark moves forward only and never past the room's last seq, whoever appended it.
      const [r] = await client.unsafe(
        `UPDATE members SET read_seq = GREATEST(read_seq, LEAST($3::bigint, (SELECT last_seq FROM rooms WHERE id = $1))),
           delivered_seq = GREATEST(delivered_seq, read_seq, LEAST($3::bigint, (SELECT last_seq FROM rooms WHERE id = $1)))
         WHERE room_id = $1 AND user_id = $2 RETURNING read_seq`,
        [roomId, userId, seq],
      );
      return r ? Number(r.read_seq) : 0;
    },
    async setMemberFlags(roomId, userId, flags) {
      if (Object.keys(flags).length === 0) return;
      await db.update(members).set(flags).where(and(eq(members.roomId, roomId), eq(members.userId, userId)));
    },
    async isBanned(roomId, userId) {
      return (await db.select({ u: bans.userId }).from(bans).where(and(eq(bans.roomId, roomId), eq(bans.userId, userId)))).length > 0;
    },
    async coMembers(userId) {
      const rows = await client.unsafe(
        "SELECT DISTINCT o.user_id FROM members m JOIN members o ON o.room_id = m.room_id WHERE m.user_id = $1 AND o.user_id <> $1",
        [userId],
      );
      return rows.map((r: { user_id: string }) => r.user_id);
    },
  };
}
