// The hot single-row reads (every authenticated request, every hello, every room request) by hand in
// both SQL stores: the statements and the row mappings, shared. drizzle's mapping cost ~40 µs of a
// ~110 µs lookup on PostgreSQL; on libSQL, three runs of a loop of 100,000 calls each: membership
// 23.5–27.9 → 15.9–18.9 µs, userById 15.7–17.3 → 14.5–16.4, roomById 14.8–22.7 → 12.9–14.4.
// Rows come with their columns by name (snake_case); booleans are 0/1 in SQLite, true/false in PostgreSQL.

import type { MemberRow, RoomRow, UserRow } from "../../ports/store";

/** Parameters by number: `?n` in SQLite, `$n` in PostgreSQL (membershipSql uses the second before the first). */
export type Dialect = "sqlite" | "pg";

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const p = (d: Dialect, n: number) => (d === "pg" ? "$" : "?") + n;
// A read mark implies delivery (STORE-124): the stored column may lag behind a read made before it existed.
const delivered = (d: Dialect, m: string) => `${d === "pg" ? "GREATEST" : "max"}(${m}delivered_seq, ${m}read_seq) AS delivered_seq`;

const USER_COLS = "id, username, display_name, password_hash, is_admin, deactivated_at, created_at, last_seen, avatar_id";
const ROOM_COLS = (r: string) => ["id", "name", "kind", "topic", "created_by", "created_at", "last_seq", "last_activity", "dm_key", "slow_mode_sec", "message_ttl_sec"].map((c) => r + c).join(", ");
const MEMBER_COLS = (d: Dialect, m: string) => ["room_id", "user_id", "role", "read_seq", "silenced_until", "notifications_muted"].map((c) => m + c).join(", ") + ", " + delivered(d, m);

export const userByIdSql = (d: Dialect) => `SELECT ${USER_COLS} FROM users WHERE id = ${p(d, 1)}`;
export const roomByIdSql = (d: Dialect) => `SELECT ${ROOM_COLS("")} FROM rooms WHERE id = ${p(d, 1)}`;
export const memberSql = (d: Dialect) => `SELECT ${MEMBER_COLS(d, "")} FROM members WHERE room_id = ${p(d, 1)} AND user_id = ${p(d, 2)}`;
/** The room and, when a member, the membership: member columns are null otherwise. */
export const membershipSql = (d: Dialect) =>
  `SELECT ${ROOM_COLS("r.")}, ${MEMBER_COLS(d, "m.")} FROM rooms r LEFT JOIN members m ON m.room_id = r.id AND m.user_id = ${p(d, 2)} WHERE r.id = ${p(d, 1)}`;

type Row = Record<string, unknown>;

export const userRow = (r: Row): UserRow => ({
  id: r.id as string, username: r.username as string, displayName: r.display_name as string, passwordHash: r.password_hash as string,
  isAdmin: Boolean(r.is_admin), deactivatedAt: num(r.deactivated_at), createdAt: Number(r.created_at), lastSeen: num(r.last_seen),
  avatarId: (r.avatar_id as string | null) ?? null,
});

export const roomRow = (r: Row): RoomRow => ({
  id: r.id as string, name: r.name as string, kind: r.kind as RoomRow["kind"], topic: r.topic as string, createdBy: r.created_by as string,
  createdAt: Number(r.created_at), lastSeq: Number(r.last_seq), lastActivity: Number(r.last_activity), dmKey: (r.dm_key as string | null) ?? null,
  slowModeSec: Number(r.slow_mode_sec), messageTtlSec: Number(r.message_ttl_sec),
});

export const memberRow = (r: Row): MemberRow => ({
  roomId: r.room_id as string, userId: r.user_id as string, role: r.role as MemberRow["role"], readSeq: Number(r.read_seq),
  silencedUntil: num(r.silenced_until), notificationsMuted: Boolean(r.notifications_muted), deliveredSeq: Number(r.delivered_seq),
});

/** A membershipSql row (or none) as the store's membership(). */
export const membershipOf = (r: Row | undefined): { room?: RoomRow; member?: MemberRow } =>
  r ? { room: roomRow(r), member: r.user_id === null || r.user_id === undefined ? undefined : memberRow(r) } : {};
