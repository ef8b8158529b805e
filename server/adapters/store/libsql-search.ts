// libSQL store, search part: trigram FTS5 over message bodies, indexed in bulk after commit.

import { sql } from "drizzle-orm";
import type { Store } from "../../ports/store";
import type { Db } from "./libsql";
import type { Connection } from "./libsql-connection";

/**
 * Rows per indexing transaction when sends have paused: ~11 ms of FTS work on the 2-core machines here,
 * 30 ms at most with the segment merges (a send arriving meanwhile waits for it; 2,000 rows: up to 49 ms
 * at the same cost per row; docs/benchmarks.md, "Search indexing stalls").
 */
const INDEX_ROWS_PER_PASS = 1_000;
/** …and between commits (backlog over its bound), where each pass delays the sends queued behind it: ~2 ms, 29 ms at most with the merges. */
const INDEX_ROWS_PER_BUSY_PASS = 500;
/** Indexing waits until no commit has happened for this long: a burst of sends does not pay for it. */
const INDEX_IDLE_MS = 50;
/** …unless this many rows wait: then passes run between commits anyway, which bounds the backlog and the first search after a long burst. */
const INDEX_BACKLOG_MAX_ROWS = 50_000;

/** One indexing pass: the message rows after `search_indexed.upto` up to rowid `to` (fts-bench.ts runs the same). */
export const indexPass = (to: number): { sql: string; args: number[] }[] => [
  {
    sql: "INSERT INTO events_fts(rowid, body) SELECT rowid, body FROM events WHERE rowid > (SELECT upto FROM search_indexed) AND rowid <= ? AND kind = 'message' AND body IS NOT NULL",
    args: [to],
  },
  { sql: "UPDATE search_indexed SET upto = max(upto, ?)", args: [to] },
];

export interface SearchPart extends Pick<Store, "search" | "indexing"> {
  /** New rows were committed: index them when the writer is idle. */
  committed(): void;
  close(): Promise<void>;
}

/**
 * The FTS index is filled outside the send transaction (migration 0004 explains the why): in bulk
 * passes of rows after `search_indexed.upto`, once sends pause. A search first brings the index up
 * to date, so it never misses a committed message.
 */
export function createLibsqlSearch(db: Db, conn: Connection): SearchPart {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain: Promise<void> = Promise.resolve();
  let lastCommitAt = 0;
  let closed = false;
  const done = { seconds: 0, rows: 0 };

  async function backlog(): Promise<{ upto: number; last: number }> {
    const [s] = await conn.all("SELECT (SELECT upto FROM search_indexed) AS upto, (SELECT coalesce(max(rowid), 0) FROM events) AS last", []);
    return { upto: Number(s.upto), last: Number(s.last) };
  }

  /** Indexes rows (upto, upto + rows]. `max(upto, ?)` keeps the mark from moving back, whatever the order of passes. */
  async function pass(upto: number, last: number, rows: number) {
    const to = Math.min(last, upto + rows);
    const started = performance.now();
    await conn.write(indexPass(to), { rebuildable: true }); // lost with a power cut, the pass is simply done again: no fsync of its own
    done.seconds += (performance.now() - started) / 1000;
    done.rows += to - upto;
  }

  /**
   * Passes until the index is up to date, one at a time (chained), with a turn of the event loop
   * between them. In the background (`whenIdle`) it stops while commits keep coming and the backlog
   * is under its bound, and looks again later.
   */
  function run(whenIdle: boolean): Promise<void> {
    const next = chain.then(async () => {
      for (;;) {
        if (closed && whenIdle) return; // shutting down: what is left is indexed after the next start
        const { upto, last } = await backlog();
        if (last <= upto) return;
        const quietFor = performance.now() - lastCommitAt;
        const busy = whenIdle && quietFor < INDEX_IDLE_MS;
        if (busy && last - upto < INDEX_BACKLOG_MAX_ROWS) return later(INDEX_IDLE_MS - quietFor);
        await pass(upto, last, busy ? INDEX_ROWS_PER_BUSY_PASS : INDEX_ROWS_PER_PASS);
        await new Promise((r) => setImmediate(r));
      }
    });
    chain = next.catch(() => {}); // a failed pass is retried by the next run
    return next;
  }

  function later(ms: number) {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      run(true).catch(() => {}); // the next commit or search retries
    }, ms);
    timer.unref?.();
  }

  function committed() {
    lastCommitAt = performance.now();
    later(INDEX_IDLE_MS);
  }
  later(INDEX_IDLE_MS); // rows a crash left unindexed

  return {
    committed,
    indexing: () => ({ ...done }),
    async close() {
      closed = true;
      clearTimeout(timer);
      await chain;
    },

    async search(userId, q) {
      await run(false);
      if (q.rooms?.length === 0) return [];
      // Trigram FTS needs 3+ characters; shorter texts (two CJK characters, say) scan with LIKE, still
      // limited to the caller's rooms. All texts must appear: one MATCH for the long ones, a LIKE each for the rest.
      const texts = [q.text, ...(q.terms ?? [])].map((t) => t.trim()).filter((t) => t !== "");
      const long = texts.filter((t) => [...t].length >= 3);
      const conds = texts.filter((t) => [...t].length < 3).map((t) => sql`e.body LIKE ${"%" + t.replace(/[%_\\]/g, (c) => "\\" + c) + "%"} ESCAPE '\\'`);
      if (long.length) conds.push(sql`e.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ${long.map((t) => '"' + t.replaceAll('"', '""') + '"').join(" AND ")})`);
      if (q.room !== undefined) conds.push(sql`e.room_id = ${q.room}`);
      if (q.rooms) conds.push(sql`e.room_id IN (${sql.join(q.rooms.map((r) => sql`${r}`), sql`, `)})`);
      if (q.from !== undefined) conds.push(sql`e.sender_id = ${q.from}`);
      for (const h of new Set(q.has ?? [])) {
        if (h === "link") conds.push(sql`(e.body LIKE '%http://%' OR e.body LIKE '%https://%')`);
        else conds.push(sql`EXISTS (SELECT 1 FROM uploads u WHERE u.room_id = e.room_id AND u.msg_seq = e.seq AND u.deleted_at IS NULL ${h === "image" ? sql`AND u.mime LIKE 'image/%'` : sql``})`);
      }
      if (q.sentFrom !== undefined) conds.push(sql`e.ts >= ${q.sentFrom}`);
      if (q.sentUntil !== undefined) conds.push(sql`e.ts < ${q.sentUntil}`);
      if (q.before !== undefined) conds.push(sql`e.rowid < ${q.before}`);
      const rows = await db.all<{ rowid: number; room_id: string; seq: number; sender_id: string; ts: number; body: string }>(sql`
        SELECT e.rowid AS rowid, e.room_id, e.seq, e.sender_id, e.ts, e.body FROM events e
        JOIN members m ON m.room_id = e.room_id AND m.user_id = ${userId}
        WHERE e.kind = 'message' AND e.deleted_at IS NULL ${sql.join(conds.map((c) => sql` AND ${c}`))}
        ORDER BY e.rowid DESC LIMIT ${q.limit}`);
      return rows.map((r) => ({ room: r.room_id, seq: r.seq, sender: r.sender_id, ts: r.ts, body: r.body, cursor: r.rowid }));
    },
  };
}
