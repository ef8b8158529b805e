// PostgreSQL store, effects part: the statements an event's side effects add to its append transaction.

import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { bans, events, members, mentions, reactions, rooms, uploads } from "../../db/schema.pg";
import type { Effect, NewEvent } from "../../ports/store";
import type { PgDb } from "./postgres";

/** A statement ready for `tx.unsafe(text, params)`. */
export interface Query {
  sql: string;
  params: unknown[];
}

/** PostgreSQL refuses U+0000 in text, which would fail the whole group commit: stored as U+FFFD instead. */
export function pgText<T>(v: T): T {
  return (typeof v === "string" && v.includes("\0") ? v.replaceAll("\0", "\uFFFD") : v) as T;
}

const built = (q: { toSQL(): { sql: string; params: unknown[] } }): Query => {
  const b = q.toSQL();
  return { sql: b.sql, params: b.params.map(pgText) };
};

/** The SQLSTATE of a PostgreSQL error, thrown by Bun.sql directly or wrapped by drizzle (as its cause). */
export function sqlState(e: unknown): string | undefined {
  for (let x = e as { errno?: unknown; cause?: unknown } | undefined, depth = 0; x && depth < 3; x = x.cause as typeof x, depth++) {
    if (typeof x.errno === "string") return x.errno;
  }
  return undefined;
}

/** Rows the effects add in bulk (one statement per batch instead of one per event). */
export interface BulkRows {
  mentions: { userIds: string[]; roomIds: string[]; seqs: number[] };
}

export const emptyBulk = (): BulkRows => ({ mentions: { userIds: [], roomIds: [], seqs: [] } });

/**
 * The same effects as the libSQL adapter's, in PostgreSQL. Every row touched belongs to the event's
 * room, whose row lock the transaction holds: two processes never interleave inside one room.
 */
export function effectQueries(db: PgDb, f: Effect, e: NewEvent, seq: number, bulk: BulkRows): Query[] {
  const room = e.room;
  switch (f.type) {
    case "room.create":
      return [built(db.insert(rooms).values({ ...f.room, lastSeq: 0 }))];
    case "member.add":
      return [
        built(db.insert(members).values({ roomId: room, userId: f.userId, role: f.role, readSeq: seq, joinedAt: e.ts })
          .onConflictDoUpdate({ target: [members.roomId, members.userId], set: { role: f.role } })),
      ];
    case "member.remove":
      return [built(db.delete(members).where(and(eq(members.roomId, room), eq(members.userId, f.userId))))];
    case "room.update": {
      const set: Record<string, unknown> = {};
      for (const k of ["name", "topic", "slowModeSec", "messageTtlSec"] as const) if (f[k] !== undefined) set[k] = f[k];
      return Object.keys(set).length ? [built(db.update(rooms).set(set).where(eq(rooms.id, room)))] : [];
    }
    case "mentions.add":
      for (const userId of f.userIds) bulk.mentions.userIds.push(userId), bulk.mentions.roomIds.push(room), bulk.mentions.seqs.push(seq);
      return [];
    case "uploads.attach":
      // Guarded again here: two sends may both have passed the claim check.
      return f.ids.length
        ? [built(db.update(uploads).set({ msgSeq: seq })
          .where(and(eq(uploads.roomId, room), eq(uploads.uploaderId, e.sender), inArray(uploads.id, f.ids), isNull(uploads.msgSeq), isNull(uploads.deletedAt))))]
        : [];
    case "message.edit":
      return [
        built(db.update(events).set({ body: f.body, editedAt: e.ts }).where(and(eq(events.roomId, room), eq(events.seq, f.msgSeq)))),
        built(db.delete(mentions).where(and(eq(mentions.roomId, room), eq(mentions.seq, f.msgSeq)))),
        ...(f.mentions.length
          ? [{ sql: "INSERT INTO mentions (user_id, room_id, seq) SELECT u, $2::text, $3::bigint FROM unnest($1::text[]) AS u ON CONFLICT DO NOTHING", params: [f.mentions, room, f.msgSeq] }]
          : []),
      ];
    case "message.delete":
      return [
        // A thread reply's tombstone keeps its root (STORE-122): it stays in its thread, not the room.
        built(db.update(events).set({
          body: null, deletedAt: e.ts,
          data: sql`CASE WHEN ${events.data} LIKE '%"threadRoot":%' THEN jsonb_build_object('threadRoot', ${events.data}::jsonb -> 'threadRoot')::text END`,
        }).where(and(eq(events.roomId, room), eq(events.seq, f.msgSeq)))),
        // Earlier edits carried the text too (the data column is JSON text: see schema.pg.ts).
        built(db.update(events).set({ body: null, data: sql`(${events.data}::jsonb - 'mentions')::text` })
          .where(and(eq(events.roomId, room), eq(events.kind, "edit"), sql`(${events.data}::jsonb ->> 'msgSeq')::bigint = ${f.msgSeq}`))),
        built(db.delete(mentions).where(and(eq(mentions.roomId, room), eq(mentions.seq, f.msgSeq)))),
        built(db.delete(reactions).where(and(eq(reactions.roomId, room), eq(reactions.msgSeq, f.msgSeq)))),
        built(db.update(uploads).set({ deletedAt: e.ts }).where(and(eq(uploads.roomId, room), eq(uploads.msgSeq, f.msgSeq), isNull(uploads.deletedAt)))),
      ];
    case "reaction.set":
      return f.on
        ? [built(db.insert(reactions).values({ roomId: room, msgSeq: f.msgSeq, emoji: f.emoji, userId: f.userId }).onConflictDoNothing())]
        : [built(db.delete(reactions).where(and(eq(reactions.roomId, room), eq(reactions.msgSeq, f.msgSeq), eq(reactions.emoji, f.emoji), eq(reactions.userId, f.userId))))];
    case "ban.add":
      return [built(db.insert(bans).values({ roomId: room, userId: f.userId, bannedBy: f.by, at: e.ts }).onConflictDoNothing())];
    case "ban.remove":
      return [built(db.delete(bans).where(and(eq(bans.roomId, room), eq(bans.userId, f.userId))))];
  }
}
