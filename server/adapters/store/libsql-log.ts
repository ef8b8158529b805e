// libSQL store, log part: group-committed appends with idempotency, history, message state.

import { and, asc, desc, eq, gt, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { InArgs, InStatement } from "@libsql/client";
import { bans, events, members, mentions, reactions, rooms, uploads } from "../../db/schema";
import type { MessageEvent, RoomEvent } from "../../protocol/types";
import type { Appended, Effect, NewEvent, Store } from "../../ports/store";
import { deleteTarget, eventToWire, markRepeats, messageKey, repeatDelete, rowsChunked } from "./event-rows";
import type { Db } from "./libsql";
import type { Connection } from "./libsql-connection";

type LogPart = Pick<Store, "append" | "events" | "lastSeq" | "message" | "hasReaction">;
type EventRow = typeof events.$inferSelect;
type Stmt = BatchItem<"sqlite">;

const REPLY_PREVIEW_CHARS = 200;
/**
 * Thread replies: data.threadRoot, found through the partial index events_thread_idx (schema.ts),
 * whose WHERE term every thread query repeats so the planner may use it.
 */
const THREAD_ROOT = "json_extract(data, '$.threadRoot')";
const THREAD_ROW = `data LIKE '%"threadRoot":%' AND kind = 'message'`;
/**
 * Replies, last reply and repliers per root, live replies only: computed on every read (one indexed
 * query per page, touching only the replies of the page's roots), so it never drifts.
 */
const THREAD_SUMMARY = `SELECT ${THREAD_ROOT} AS root, count(*) AS n, max(ts) AS last, json_group_array(DISTINCT sender_id) AS who FROM events
  WHERE room_id = ? AND ${THREAD_ROW} AND ${THREAD_ROOT} IN (SELECT value FROM json_each(?)) AND deleted_at IS NULL GROUP BY 1`;
/**
 * Rows per multi-row statement. Small and fixed, so a batch of any size uses a handful of distinct
 * statement texts that stay prepared (docs/benchmarks.md: per-statement overhead).
 */
const ROWS_PER_STATEMENT = 32;
const EVENT_COLS = ["room_id", "seq", "kind", "sender_id", "ts", "msg_id", "client_msg_id", "body", "reply_to", "data", "edited_at", "deleted_at"] as const;
const EVENT_KEYS = ["roomId", "seq", "kind", "senderId", "ts", "msgId", "clientMsgId", "body", "replyTo", "data", "editedAt", "deletedAt"] as const;
const KEY_COLS = ["sender_id", "client_msg_id", "room_id", "seq"] as const;
/**
 * The delete event of each targeted message (JSON array of [room, seq]) that is deleted already,
 * first one first: live targets stop at the primary-key lookup (STORE-150).
 */
const DELETED_BY = `SELECT ${EVENT_COLS.map((c) => "d." + c).join(",")}, m.seq AS target FROM json_each(?) t
  JOIN events m ON m.room_id = json_extract(t.value, '$[0]') AND m.seq = json_extract(t.value, '$[1]') AND m.deleted_at IS NOT NULL
  JOIN events d ON d.room_id = m.room_id AND d.seq > m.seq AND d.kind = 'delete' AND json_extract(d.data, '$.msgSeq') = m.seq
  ORDER BY d.seq`;

const placeholders = (rows: number, cols: number) => {
  const one = "(" + "?,".repeat(cols - 1) + "?)";
  return (one + ",").repeat(rows - 1) + one;
};
const sqlCache = new Map<string, string>();
/** Statement text cached per (kind, row count): a full chunk reuses one string. */
function cachedSql(key: string, rows: number, make: () => string): string {
  let s = sqlCache.get(key + rows);
  if (!s) sqlCache.set(key + rows, (s = make()));
  return s;
}
const insertSql = (table: string, cols: readonly string[], rows: number) =>
  cachedSql(table, rows, () => `INSERT INTO ${table} (${cols.join(",")}) VALUES ${placeholders(rows, cols.length)}`);
/** The rooms' last seq and activity, many rooms in one statement. */
const roomHeadsSql = (rows: number) =>
  cachedSql("heads", rows, () => `WITH v(id, seq, at) AS (VALUES ${placeholders(rows, 3)}) UPDATE rooms SET last_seq = v.seq, last_activity = v.at FROM v WHERE rooms.id = v.id`);
function rowFromSql(r: Record<string, unknown>): EventRow {
  return {
    roomId: r.room_id, seq: r.seq, kind: r.kind, senderId: r.sender_id, ts: r.ts, msgId: r.msg_id, clientMsgId: r.client_msg_id,
    body: r.body, replyTo: r.reply_to, data: r.data, editedAt: r.edited_at, deletedAt: r.deleted_at,
  } as EventRow;
}

/** A row of `json_array(EVENT_COLS)`. */
function rowFromArray(r: unknown[]): EventRow {
  return {
    roomId: r[0], seq: r[1], kind: r[2], senderId: r[3], ts: r[4], msgId: r[5], clientMsgId: r[6],
    body: r[7], replyTo: r[8], data: r[9], editedAt: r[10], deletedAt: r[11],
  } as EventRow;
}

/**
 * The embedded file has exactly one writing process (this one) and one writing caller (the Writer),
 * so the next seq of a room is kept in memory after its first read and committed with the batch.
 * A database shared by several writers needs the PostgreSQL adapter's UPDATE … RETURNING instead.
 */
export function createLibsqlLog(db: Db, conn: Connection, committed: () => void): LogPart {
  const seqOf = new Map<string, number>();

  async function currentSeq(roomId: string): Promise<number> {
    const known = seqOf.get(roomId);
    if (known !== undefined) return known;
    const [r] = await db.select({ s: rooms.lastSeq }).from(rooms).where(eq(rooms.id, roomId));
    return r?.s ?? 0;
  }

  /** Existing events for (sender, clientMsgId) keys, in one query per chunk of keys. */
  async function knownKeys(keyed: NewEvent[]): Promise<Map<string, EventRow>> {
    const known = new Map<string, EventRow>();
    for (const chunk of rowsChunked(keyed, ROWS_PER_STATEMENT)) {
      const text = cachedSql("keys", chunk.length, () => `SELECT ${EVENT_COLS.map((c) => "e." + c).join(",")} FROM idempotency_keys k JOIN events e ON e.room_id = k.room_id AND e.seq = k.seq
              WHERE (k.sender_id, k.client_msg_id) IN (VALUES ${placeholders(chunk.length, 2)})`);
      const rows = await conn.all(text, chunk.flatMap((e) => [e.sender, e.clientMsgId!]));
      for (const r of rows) known.set(r.sender_id + "\0" + r.client_msg_id, rowFromSql(r));
    }
    return known;
  }

  /**
   * For the batch's deletes, the messages deleted already, with the delete event that did it. Read
   * before the write transaction, which is as good as inside it here: appends are this process's
   * only writes to events and never run concurrently (see above, and Store.append).
   */
  async function storedDeletes(batch: NewEvent[]): Promise<Map<string, EventRow>> {
    const targets = batch.map(deleteTarget).filter((t) => t !== undefined);
    const out = new Map<string, EventRow>();
    if (targets.length === 0) return out;
    for (const r of await conn.all(DELETED_BY, [JSON.stringify(targets)])) {
      const key = messageKey(r.room_id as string, r.target as number);
      if (!out.has(key)) out.set(key, rowFromSql(r));
    }
    return out;
  }

  function effectStmts(f: Effect, e: NewEvent, seq: number): Stmt[] {
    const room = e.room;
    switch (f.type) {
      case "room.create":
        return [db.insert(rooms).values({ ...f.room, lastSeq: 0 })];
      case "member.add":
        return [
          db.insert(members).values({ roomId: room, userId: f.userId, role: f.role, readSeq: seq, joinedAt: e.ts })
            .onConflictDoUpdate({ target: [members.roomId, members.userId], set: { role: f.role } }),
        ];
      case "member.remove":
        return [db.delete(members).where(and(eq(members.roomId, room), eq(members.userId, f.userId)))];
      case "room.update": {
        const set: Record<string, unknown> = {};
        for (const k of ["name", "topic", "slowModeSec", "messageTtlSec"] as const) if (f[k] !== undefined) set[k] = f[k];
        return [db.update(rooms).set(set).where(eq(rooms.id, room))];
      }
      case "mentions.add":
        return f.userIds.length ? [db.insert(mentions).values(f.userIds.map((userId) => ({ userId, roomId: room, seq }))).onConflictDoNothing()] : [];
      case "uploads.attach":
        // Guarded again here: two sends may both have passed the claim check.
        return f.ids.length
          ? [db.update(uploads).set({ msgSeq: seq }).where(and(eq(uploads.roomId, room), eq(uploads.uploaderId, e.sender), inArray(uploads.id, f.ids), isNull(uploads.msgSeq), isNull(uploads.deletedAt)))]
          : [];
      case "message.edit":
        return [
          db.update(events).set({ body: f.body, editedAt: e.ts }).where(and(eq(events.roomId, room), eq(events.seq, f.msgSeq))),
          db.delete(mentions).where(and(eq(mentions.roomId, room), eq(mentions.seq, f.msgSeq))),
          ...(f.mentions.length ? [db.insert(mentions).values(f.mentions.map((userId) => ({ userId, roomId: room, seq: f.msgSeq })))] : []),
        ];
      case "message.delete":
        return [
          // A thread reply's tombstone keeps its root (STORE-122): it stays in its thread, not the room.
          db.update(events).set({
            body: null, deletedAt: e.ts,
            data: sql`CASE WHEN ${events.data} LIKE '%"threadRoot":%' THEN json_object('threadRoot', json_extract(${events.data}, '$.threadRoot')) END`,
          }).where(and(eq(events.roomId, room), eq(events.seq, f.msgSeq))),
          // Earlier edits carried the text too.
          db.update(events).set({ body: null, data: sql`json_remove(${events.data}, '$.mentions')` })
            .where(and(eq(events.roomId, room), eq(events.kind, "edit"), sql`json_extract(${events.data}, '$.msgSeq') = ${f.msgSeq}`)),
          db.delete(mentions).where(and(eq(mentions.roomId, room), eq(mentions.seq, f.msgSeq))),
          db.delete(reactions).where(and(eq(reactions.roomId, room), eq(reactions.msgSeq, f.msgSeq))),
          db.update(uploads).set({ deletedAt: e.ts }).where(and(eq(uploads.roomId, room), eq(uploads.msgSeq, f.msgSeq), isNull(uploads.deletedAt))),
        ];
      case "reaction.set":
        return f.on
          ? [db.insert(reactions).values({ roomId: room, msgSeq: f.msgSeq, emoji: f.emoji, userId: f.userId }).onConflictDoNothing()]
          : [db.delete(reactions).where(and(eq(reactions.roomId, room), eq(reactions.msgSeq, f.msgSeq), eq(reactions.emoji, f.emoji), eq(reactions.userId, f.userId)))];
      case "ban.add":
        return [db.insert(bans).values({ roomId: room, userId: f.userId, bannedBy: f.by, at: e.ts }).onConflictDoNothing()];
      case "ban.remove":
        return [db.delete(bans).where(and(eq(bans.roomId, room), eq(bans.userId, f.userId)))];
    }
  }

  /** Messages in a page get their reactions and, for replies, a preview of the quoted message. */
  async function decorate(list: RoomEvent[], roomId: string): Promise<RoomEvent[]> {
    const msgs = list.filter((e): e is MessageEvent => e.kind === "message");
    if (msgs.length === 0) return list;
    // The seqs travel as one JSON array: one statement text (kept prepared) for any page size.
    const seqs = JSON.stringify(msgs.map((m) => m.seq));
    const rs = await conn.all("SELECT msg_seq, emoji, user_id FROM reactions WHERE room_id = ? AND msg_seq IN (SELECT value FROM json_each(?))", [roomId, seqs]);
    const bySeq = new Map(msgs.map((m) => [m.seq, m]));
    for (const r of rs) {
      const m = bySeq.get(r.msg_seq as number)!;
      ((m.reactions ??= {})[r.emoji as string] ??= []).push(r.user_id as string);
    }
    const replyTo = [...new Set(msgs.filter((m) => m.replyTo !== undefined).map((m) => m.replyTo!))];
    if (replyTo.length > 0) {
      const quoted = await conn.all("SELECT seq, sender_id, body, deleted_at FROM events WHERE room_id = ? AND seq IN (SELECT value FROM json_each(?))", [roomId, JSON.stringify(replyTo)]);
      const q = new Map(quoted.map((r) => [r.seq as number, r]));
      for (const m of msgs) {
        const r = m.replyTo !== undefined ? q.get(m.replyTo) : undefined;
        if (r) m.replyPreview = { seq: r.seq as number, sender: r.sender_id as string, body: ((r.body as string | null) ?? "").slice(0, REPLY_PREVIEW_CHARS), deleted: r.deleted_at !== null };
      }
    }
    const roots = msgs.filter((m) => m.threadRoot === undefined);
    if (roots.length > 0) {
      for (const r of await conn.all(THREAD_SUMMARY, [roomId, JSON.stringify(roots.map((m) => m.seq))])) {
        bySeq.get(r.root as number)!.thread = { replies: r.n as number, lastReplyAt: r.last as number, participants: JSON.parse(r.who as string) };
      }
    }
    return list;
  }

  /**
   * One group commit. `lookUp` false: no idempotency lookup, on the bet that no key of the batch is
   * stored yet (a resend is rare); the keys' primary key then refuses the transaction if one is.
   */
  async function appendBatch(batch: NewEvent[], lookUp: boolean): Promise<Appended[]> {
    const results: Appended[] = new Array(batch.length);
    // 1. Idempotency: one lookup for every (sender, clientMsgId) in the batch, and repeats within it.
    const keyed = lookUp ? batch.filter((e) => e.clientMsgId !== undefined) : [];
    const known = keyed.length > 0 ? await knownKeys(keyed) : new Map<string, EventRow>();
    const repeatOf = markRepeats(batch, known, results);
    const deletedBy = await storedDeletes(batch);
    const firstDelete = new Map<string, number>();
    // 2. Seqs in array order per room; effects become statements of the same transaction.
    const next = new Map<string, number>();
    const activity = new Map<string, number>();
    const rows: EventRow[] = [];
    const effects: Stmt[] = [];
    for (let i = 0; i < batch.length; i++) {
      if (results[i] || repeatOf.has(i)) continue;
      const e = batch[i];
      if (repeatDelete(e, i, deletedBy, firstDelete, results, repeatOf)) continue;
      const creates = e.effects?.some((f) => f.type === "room.create");
      const seq = (next.get(e.room) ?? (creates ? 0 : await currentSeq(e.room))) + 1;
      next.set(e.room, seq);
      activity.set(e.room, e.ts);
      const row: EventRow = {
        roomId: e.room, seq, kind: e.kind, senderId: e.sender, ts: e.ts, msgId: e.msgId ?? null,
        clientMsgId: e.clientMsgId ?? null, body: e.body ?? null, replyTo: e.replyTo ?? null,
        data: e.data ? JSON.stringify(e.data) : null, editedAt: null, deletedAt: null,
      };
      rows.push(row);
      results[i] = { event: e.wire ? ({ ...eventToWire(row), ...e.wire } as RoomEvent) : eventToWire(row), duplicate: false };
      for (const f of e.effects ?? []) effects.push(...effectStmts(f, e, seq));
    }
    for (const [i, first] of repeatOf) results[i] = { event: results[first].event, duplicate: true };
    if (rows.length === 0) return results;
    // 3. One transaction. Room creations come first among the effects, before events that need them.
    // The hot statements are written by hand: drizzle's builder cost more than SQLite itself here
    // (24k vs 57k events/s in one measurement, docs/benchmarks.md).
    const stmts: InStatement[] = effects.map((q) => {
      const b = (q as unknown as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
      return { sql: b.sql, args: b.params as InArgs };
    });
    for (const chunk of rowsChunked(rows, ROWS_PER_STATEMENT)) {
      stmts.push({ sql: insertSql("events", EVENT_COLS, chunk.length), args: chunk.flatMap((r) => EVENT_KEYS.map((k) => r[k])) as InArgs });
    }
    const keyed2 = rows.filter((r) => r.clientMsgId !== null);
    for (const chunk of rowsChunked(keyed2, ROWS_PER_STATEMENT)) {
      stmts.push({ sql: insertSql("idempotency_keys", KEY_COLS, chunk.length), args: chunk.flatMap((r) => [r.senderId, r.clientMsgId, r.roomId, r.seq]) as InArgs });
    }
    for (const chunk of rowsChunked([...next], ROWS_PER_STATEMENT)) {
      stmts.push({ sql: roomHeadsSql(chunk.length), args: chunk.flatMap(([room, seq]) => [room, seq, activity.get(room)!]) });
    }
    await conn.write(stmts);
    for (const [room, seq] of next) seqOf.set(room, seq);
    committed();
    return results;
  }

  return {
    /**
     * The idempotency lookup cost a statement per commit (docs/benchmarks.md, "Server cost per
     * message"): it runs only when the keys' primary key refused the batch, which was rolled back.
     */
    async append(batch) {
      try {
        return await appendBatch(batch, false);
      } catch (e) {
        if (!(e instanceof Error && e.message.includes("UNIQUE constraint failed: idempotency_keys"))) throw e;
        return appendBatch(batch, true);
      }
    },

    async events(roomId, q) {
      // Hand-written like append: this is every history page and every resume.
      const conds = ["room_id = ?"];
      const args: InArgs = [roomId];
      let from = "events";
      if (q.thread !== undefined) {
        // The root by its key, the replies through the thread index: two searches, never a scan of the room.
        from = `(SELECT ${EVENT_COLS.join(",")} FROM events WHERE room_id = ? AND seq = ? AND kind = 'message'
          UNION ALL SELECT ${EVENT_COLS.join(",")} FROM events WHERE room_id = ? AND ${THREAD_ROW} AND ${THREAD_ROOT} = ?)`;
        args.unshift(roomId, q.thread, roomId, q.thread);
      }
      if (q.before !== undefined) conds.push("seq < ?"), args.push(q.before);
      if (q.after !== undefined) conds.push("seq > ?"), args.push(q.after);
      const ascending = q.after !== undefined;
      args.push(q.limit + 1);
      // The page comes back as one JSON text (one row), parsed once: the driver costs a native call and a
      // value conversion per row and column otherwise (303 → 219 µs of CPU for 51 rows, docs/benchmarks.md).
      const cols = EVENT_COLS.join(",");
      const [{ page: text }] = await conn.all(
        `SELECT json_group_array(json_array(${cols})) AS page FROM (SELECT ${cols} FROM ${from} WHERE ${conds.join(" AND ")} ORDER BY seq ${ascending ? "ASC" : "DESC"} LIMIT ?)`,
        args,
      );
      const rows = JSON.parse(text as string) as unknown[][];
      rows.sort((a, b) => (a[1] as number) - (b[1] as number)); // seq; the aggregate's order is not promised
      const hasMore = rows.length > q.limit;
      if (hasMore) rows.splice(ascending ? q.limit : 0, 1); // the extra row shows there is more: the one past the page
      const page = rows.map((r) => eventToWire(rowFromArray(r)));
      return { events: await decorate(page, roomId), hasMore };
    },

    async lastSeq(roomId) {
      return currentSeq(roomId);
    },

    async message(roomId, seq) {
      const [r] = await db.select().from(events).where(and(eq(events.roomId, roomId), eq(events.seq, seq)));
      return r && { seq: r.seq, kind: r.kind, sender: r.senderId, body: r.body, deleted: r.deletedAt !== null };
    },

    async hasReaction(roomId, msgSeq, emoji, userId) {
      const r = await db
        .select({ u: reactions.userId })
        .from(reactions)
        .where(and(eq(reactions.roomId, roomId), eq(reactions.msgSeq, msgSeq), eq(reactions.emoji, emoji), eq(reactions.userId, userId)));
      return r.length > 0;
    },
  };
}
