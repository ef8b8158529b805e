// PostgreSQL store, rooms part: rooms, members, read marks, bans.

import type { SQL } from "bun";
import { and, desc, eq, sql } from "drizzle-orm";
import { bans, members, rooms } from "../../db/schema.pg";
import type { MemberRow, MyRoomRow, RoomRow, Store } from "../../ports/store";
import { LIMITS } from "../../protocol/types";
import type { PgDb } from "./postgres";

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

const num = (v: unknown): number | null => (v === null ? null : Number(v));
const ROOM_BY_ID = "SELECT id, name, kind, topic, created_by, created_at, last_seq, last_activity, dm_key, slow_mode_sec, message_ttl_sec FROM rooms WHERE id = $1";
const roomRow = (r: Record<string, unknown>): RoomRow => ({
  id: r.id as string, name: r.name as string, kind: r.kind as RoomRow["kind"], topic: r.topic as string, createdBy: r.created_by as string,
  createdAt: Number(r.created_at), lastSeq: Number(r.last_seq), lastActivity: Number(r.last_activity), dmKey: r.dm_key as string | null,
  slowModeSec: r.slow_mode_sec as number, messageTtlSec: Number(r.message_ttl_sec),
});
const MEMBER = "SELECT room_id, user_id, role, read_seq, silenced_until, notifications_muted, GREATEST(delivered_seq, read_seq) AS delivered_seq FROM members WHERE room_id = $1 AND user_id = $2";
const memberRow = (r: Record<string, unknown>): MemberRow => ({
  roomId: r.room_id as string, userId: r.user_id as string, role: r.role as MemberRow["role"], readSeq: Number(r.read_seq),
  silencedUntil: num(r.silenced_until), notificationsMuted: r.notifications_muted as boolean, deliveredSeq: Number(r.delivered_seq),
});

const MEMBERSHIP = `SELECT r.id, r.name, r.kind, r.topic, r.created_by, r.created_at, r.last_seq, r.last_activity, r.dm_key, r.slow_mode_sec, r.message_ttl_sec,
  m.room_id, m.user_id, m.role, m.read_seq, m.silenced_until, m.notifications_muted, GREATEST(m.delivered_seq, m.read_seq) AS delivered_seq
  FROM rooms r LEFT JOIN members m ON m.room_id = r.id AND m.user_id = $2 WHERE r.id = $1`;

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
      const [r] = await client.unsafe(MEMBERSHIP, [roomId, userId]);
      return r ? { room: roomRow(r), member: r.user_id === null ? undefined : memberRow(r) } : {};
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
