// PostgreSQL store, log part: appends that stay gapless and idempotent with several writing processes, history, message state.

import type { SQL } from "bun";
import type { MessageEvent, RoomEvent } from "../../protocol/types";
import type { Appended, NewEvent, Store } from "../../ports/store";
import { deleteTarget, eventToWire, markRepeats, messageKey, repeatDelete, type EventRowLike } from "./event-rows";
import type { PgDb } from "./postgres";
import { effectQueries, emptyBulk, pgText, sqlState, type Query } from "./postgres-effects";

type LogPart = Pick<Store, "append" | "events" | "lastSeq" | "message" | "hasReaction">;

const REPLY_PREVIEW_CHARS = 200;
/**
 * Thread replies: data.threadRoot, found through the partial index events_thread_idx (schema.pg.ts),
 * whose expression and WHERE term every thread query repeats so the planner may use it.
 */
const THREAD_ROOT = "((data::jsonb ->> 'threadRoot')::bigint)";
const THREAD_ROW = `data LIKE '%"threadRoot":%' AND kind = 'message'`;
/** Replies, last reply and repliers per root, live replies only: computed on every read, one indexed query per page. */
const THREAD_SUMMARY = `SELECT ${THREAD_ROOT} AS root, count(*) AS n, max(ts) AS last, array_agg(DISTINCT sender_id) AS who FROM events
  WHERE room_id = $1 AND ${THREAD_ROW} AND ${THREAD_ROOT} = ANY($2::bigint[]) AND deleted_at IS NULL GROUP BY 1`;
/** Whole-transaction retries on a lost race (see `retryable`) before the error reaches the Writer. */
const APPEND_ATTEMPTS = 6;
/** Upper bound of the random pause before a retry, per attempt so far: racing writers drift apart. */
const RETRY_JITTER_MS = 4;
/**
 * Deadlock, serialization failure, unique violation. With the rooms locked in id order the first two
 * should not happen; a unique violation is another process that stored the same (sender, clientMsgId)
 * in another room at the same moment: the retry then finds its event and answers a duplicate.
 */
const RETRYABLE = new Set(["40P01", "40001", "23505"]);

const EVENT_COLS = "room_id, seq, kind, sender_id, ts, msg_id, client_msg_id, body, reply_to, data, edited_at, deleted_at";
// Array parameters keep each statement one fixed text (prepared once) for any batch size.
const LOCK_ROOMS = "SELECT id, last_seq FROM rooms WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE";
const KNOWN_KEYS = `SELECT ${EVENT_COLS.split(", ").map((c) => "e." + c).join(", ")} FROM unnest($1::text[], $2::text[]) AS q(sender_id, client_msg_id)
  JOIN idempotency_keys k ON k.sender_id = q.sender_id AND k.client_msg_id = q.client_msg_id
  JOIN events e ON e.room_id = k.room_id AND e.seq = k.seq`;
/** The delete event of each targeted message that is deleted already, first one first: live targets stop at the primary-key lookup (STORE-150). */
const DELETED_BY = `SELECT ${EVENT_COLS.split(", ").map((c) => "d." + c).join(", ")}, m.seq AS target FROM unnest($1::text[], $2::bigint[]) AS t(room_id, seq)
  JOIN events m ON m.room_id = t.room_id AND m.seq = t.seq AND m.deleted_at IS NOT NULL
  JOIN events d ON d.room_id = m.room_id AND d.seq > m.seq AND d.kind = 'delete' AND (d.data::jsonb ->> 'msgSeq')::bigint = m.seq
  ORDER BY d.seq`;
const INSERT_EVENTS = `INSERT INTO events (room_id, seq, kind, sender_id, ts, msg_id, client_msg_id, body, reply_to, data)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[])`;
const INSERT_KEYS = "INSERT INTO idempotency_keys (sender_id, client_msg_id, room_id, seq) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])";
const INSERT_MENTIONS = "INSERT INTO mentions (user_id, room_id, seq) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING";
const UPDATE_HEADS = "UPDATE rooms SET last_seq = v.seq, last_activity = v.at FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, seq, at) WHERE rooms.id = v.id";

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A row as Bun.sql returns it (bigint columns come as strings) → the shared event row. */
function eventRow(r: Record<string, unknown>): EventRowLike {
  return {
    roomId: r.room_id as string, seq: Number(r.seq), kind: r.kind as string, senderId: r.sender_id as string, ts: Number(r.ts),
    msgId: r.msg_id as string | null, clientMsgId: r.client_msg_id as string | null, body: r.body as string | null,
    replyTo: num(r.reply_to), data: r.data as string | null, editedAt: num(r.edited_at), deletedAt: num(r.deleted_at),
  };
}

function retryable(e: unknown): boolean {
  return RETRYABLE.has(sqlState(e) ?? "");
}

export function createPostgresLog(db: PgDb, client: SQL): LogPart {
  /** One attempt: the whole append in one transaction, computed afresh from what the locks let it see. */
  async function attempt(batch: NewEvent[]): Promise<Appended[]> {
    return client.begin(async (tx) => {
      const results: Appended[] = new Array(batch.length);
      // 1. Lock the batch's rooms in id order (every writer does the same, so no two wait on each other
      // in a cycle) and read their last seq: from here on, nobody else appends to these rooms.
      // 2. Idempotency, after the locks: a key another process committed in these rooms is visible now.
      // Both statements go out together (one round trip); the server runs the second once the first
      // holds its locks, and in READ COMMITTED its snapshot is taken then.
      const roomIds = [...new Set(batch.map((e) => e.room))];
      const keyed = batch.filter((e) => e.clientMsgId !== undefined);
      // 2b. The batch's deletes whose message is deleted already, after the locks too: every delete
      // of a room's message runs under that room's lock, so none can commit between this read and ours.
      const targets = batch.map(deleteTarget).filter((t) => t !== undefined);
      const [locked, found, deleted] = await Promise.all([
        tx.unsafe(LOCK_ROOMS, [roomIds]),
        keyed.length > 0 ? tx.unsafe(KNOWN_KEYS, [keyed.map((e) => e.sender), keyed.map((e) => pgText(e.clientMsgId))]) : [],
        targets.length > 0 ? tx.unsafe(DELETED_BY, [targets.map((t) => t[0]), targets.map((t) => t[1])]) : [],
      ]);
      const heads = new Map<string, number>();
      for (const r of locked) heads.set(r.id, Number(r.last_seq));
      const known = new Map<string, EventRowLike>();
      for (const r of found) known.set(r.sender_id + "\0" + r.client_msg_id, eventRow(r));
      const repeatOf = markRepeats(batch, known, results, pgText);
      const deletedBy = new Map<string, EventRowLike>();
      for (const r of deleted) {
        const key = messageKey(r.room_id, Number(r.target));
        if (!deletedBy.has(key)) deletedBy.set(key, eventRow(r));
      }
      const firstDelete = new Map<string, number>();
      // 3. Seqs in array order per room; effects become statements of the same transaction.
      const next = new Map<string, number>();
      const activity = new Map<string, number>();
      const rows: EventRowLike[] = [];
      const effects: Query[] = [];
      const bulk = emptyBulk();
      for (let i = 0; i < batch.length; i++) {
        if (results[i] || repeatOf.has(i)) continue;
        const e = batch[i];
        if (repeatDelete(e, i, deletedBy, firstDelete, results, repeatOf)) continue;
        const creates = e.effects?.some((f) => f.type === "room.create");
        const seq = (next.get(e.room) ?? (creates ? 0 : (heads.get(e.room) ?? 0))) + 1;
        next.set(e.room, seq);
        activity.set(e.room, e.ts);
        const row: EventRowLike = {
          roomId: e.room, seq, kind: e.kind, senderId: e.sender, ts: e.ts, msgId: pgText(e.msgId ?? null),
          clientMsgId: pgText(e.clientMsgId ?? null), body: pgText(e.body ?? null), replyTo: e.replyTo ?? null,
          data: e.data ? JSON.stringify(e.data) : null, editedAt: null, deletedAt: null,
        };
        rows.push(row);
        results[i] = { event: e.wire ? ({ ...eventToWire(row), ...e.wire } as RoomEvent) : eventToWire(row), duplicate: false };
        for (const f of e.effects ?? []) effects.push(...effectQueries(db, f, e, seq, bulk));
      }
      for (const [i, first] of repeatOf) results[i] = { event: results[first].event, duplicate: true };
      if (rows.length === 0) return results;
      // 4. Pipelined, in order (room creations first among the effects, before the events that need them).
      // Keys in one order for every writer: two batches sharing keys then wait on each other, never in a cycle.
      const keyRows = rows.filter((r) => r.clientMsgId !== null).sort((x, y) => cmp(x.senderId, y.senderId) || cmp(x.clientMsgId!, y.clientMsgId!));
      const stmts: Query[] = [
        ...effects,
        { sql: INSERT_EVENTS, params: columns(rows, ["roomId", "seq", "kind", "senderId", "ts", "msgId", "clientMsgId", "body", "replyTo", "data"]) },
        ...(keyRows.length ? [{ sql: INSERT_KEYS, params: columns(keyRows, ["senderId", "clientMsgId", "roomId", "seq"]) }] : []),
        ...(bulk.mentions.userIds.length ? [{ sql: INSERT_MENTIONS, params: [bulk.mentions.userIds, bulk.mentions.roomIds, bulk.mentions.seqs] }] : []),
        { sql: UPDATE_HEADS, params: [[...next.keys()], [...next.values()], [...next.keys()].map((r) => activity.get(r)!)] },
      ];
      await Promise.all(stmts.map((s) => tx.unsafe(s.sql, s.params)));
      return results;
    });
  }

  /** Messages in a page get their reactions and, for replies, a preview of the quoted message. */
  async function decorate(list: RoomEvent[], roomId: string): Promise<RoomEvent[]> {
    const msgs = list.filter((e): e is MessageEvent => e.kind === "message");
    if (msgs.length === 0) return list;
    const replyTo = [...new Set(msgs.filter((m) => m.replyTo !== undefined).map((m) => m.replyTo!))];
    const roots = msgs.filter((m) => m.threadRoot === undefined).map((m) => m.seq);
    const [rs, quoted, threads] = await Promise.all([
      client.unsafe("SELECT msg_seq, emoji, user_id FROM reactions WHERE room_id = $1 AND msg_seq = ANY($2::bigint[]) ORDER BY msg_seq, emoji, user_id", [roomId, msgs.map((m) => m.seq)]),
      replyTo.length > 0
        ? client.unsafe("SELECT seq, sender_id, body, deleted_at FROM events WHERE room_id = $1 AND seq = ANY($2::bigint[])", [roomId, replyTo])
        : [],
      roots.length > 0 ? client.unsafe(THREAD_SUMMARY, [roomId, roots]) : [],
    ]);
    const bySeq = new Map(msgs.map((m) => [m.seq, m]));
    for (const r of rs) {
      const m = bySeq.get(Number(r.msg_seq))!;
      ((m.reactions ??= {})[r.emoji as string] ??= []).push(r.user_id as string);
    }
    const q = new Map<number, Record<string, unknown>>(quoted.map((r: Record<string, unknown>) => [Number(r.seq), r]));
    for (const m of msgs) {
      const r = m.replyTo !== undefined ? q.get(m.replyTo) : undefined;
      if (r) m.replyPreview = { seq: Number(r.seq), sender: r.sender_id as string, body: ((r.body as string | null) ?? "").slice(0, REPLY_PREVIEW_CHARS), deleted: r.deleted_at !== null };
    }
    for (const r of threads as Record<string, unknown>[]) {
      bySeq.get(Number(r.root))!.thread = { replies: Number(r.n), lastReplyAt: Number(r.last), participants: r.who as string[] };
    }
    return list;
  }

  return {
    async append(batch) {
      for (let n = 1; ; n++) {
        try {
          return await attempt(batch);
        } catch (e) {
          if (n >= APPEND_ATTEMPTS || !retryable(e)) throw e;
          await Bun.sleep(Math.random() * RETRY_JITTER_MS * n);
        }
      }
    },

    async events(roomId, q) {
      const conds = ["room_id = $1"];
      const args: unknown[] = [roomId];
      let from = "events";
      if (q.thread !== undefined) {
        // The root by its key, the replies through the thread index: two searches, never a scan of the room.
        args.push(q.thread);
        from = `(SELECT ${EVENT_COLS} FROM events WHERE room_id = $1 AND seq = $2 AND kind = 'message'
          UNION ALL SELECT ${EVENT_COLS} FROM events WHERE room_id = $1 AND ${THREAD_ROW} AND ${THREAD_ROOT} = $2) AS t`;
      }
      if (q.before !== undefined) args.push(q.before), conds.push(`seq < $${args.length}`);
      if (q.after !== undefined) args.push(q.after), conds.push(`seq > $${args.length}`);
      const ascending = q.after !== undefined;
      args.push(q.limit + 1);
      const rows = await client.unsafe(`SELECT ${EVENT_COLS} FROM ${from} WHERE ${conds.join(" AND ")} ORDER BY seq ${ascending ? "ASC" : "DESC"} LIMIT $${args.length}`, args);
      const hasMore = rows.length > q.limit;
      const page = (rows as Record<string, unknown>[]).slice(0, q.limit).map((r) => eventToWire(eventRow(r)));
      if (!ascending) page.reverse();
      return { events: await decorate(page, roomId), hasMore };
    },

    async lastSeq(roomId) {
      // Read every time: another process may have appended since.
      const [r] = await client.unsafe("SELECT last_seq FROM rooms WHERE id = $1", [roomId]);
      return r ? Number(r.last_seq) : 0;
    },

    async message(roomId, seq) {
      const [r] = await client.unsafe("SELECT seq, kind, sender_id, body, deleted_at FROM events WHERE room_id = $1 AND seq = $2", [roomId, seq]);
      return r && { seq: Number(r.seq), kind: r.kind, sender: r.sender_id, body: r.body, deleted: r.deleted_at !== null };
    },

    async hasReaction(roomId, msgSeq, emoji, userId) {
      const r = await client.unsafe("SELECT 1 FROM reactions WHERE room_id = $1 AND msg_seq = $2 AND emoji = $3 AND user_id = $4", [roomId, msgSeq, emoji, userId]);
      return r.length > 0;
    },
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Rows → one array per column, for the unnest statements. */
function columns<T>(rows: T[], keys: (keyof T)[]): unknown[][] {
  return keys.map((k) => rows.map((r) => r[k]));
}
