// libSQL store, search part: trigram FTS5 over message bodies, indexed in bulk after commit.

import { sql } from "drizzle-orm";
import type { Store } from "../../ports/store";
import type { Db } from "./libsql";
import type { Connection } from "./libsql-connection";

/** Rows per indexing transaction: ~10 ms of FTS work here, so sends queued meanwhile wait little. */
const INDEX_ROWS_PER_PASS = 1_000;
/** After a commit, indexing waits this long so a busy writer's rows are indexed many at a time. */
const INDEX_DELAY_MS = 100;

export interface SearchPart extends Pick<Store, "search"> {
  /** New rows were committed: index them soon. */
  committed(): void;
  close(): Promise<void>;
}

/**
 * The FTS index is filled outside the send transaction (migration 0004 explains the why): in bulk
 * passes of rows after `search_indexed.upto`, a little after they commit. A search first brings
 * the index up to date, so it never misses a committed message.
 */
export function createLibsqlSearch(db: Db, conn: Connection): SearchPart {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let chain: Promise<void> = Promise.resolve();

  /** One pass; true when rows remain. `max(upto, ?)` keeps the mark from moving back, whatever the order of passes. */
  async function pass(): Promise<boolean> {
    const [s] = await conn.all("SELECT (SELECT upto FROM search_indexed) AS upto, (SELECT coalesce(max(rowid), 0) FROM events) AS last", []);
    const upto = Number(s.upto);
    const last = Number(s.last);
    if (last <= upto) return false;
    const to = Math.min(last, upto + INDEX_ROWS_PER_PASS);
    await conn.write([
      {
        sql: "INSERT INTO events_fts(rowid, body) SELECT rowid, body FROM events WHERE rowid > (SELECT upto FROM search_indexed) AND rowid <= ? AND kind = 'message' AND body IS NOT NULL",
        args: [to],
      },
      { sql: "UPDATE search_indexed SET upto = max(upto, ?)", args: [to] },
    ]);
    return to < last;
  }

  /** Indexes everything committed so far; passes run one at a time, with a turn of the event loop between them. */
  function catchUp(): Promise<void> {
    const run = chain.then(async () => {
      while (await pass()) await new Promise((r) => setImmediate(r));
    });
    chain = run.catch(() => {}); // a failed pass is retried by the next one
    return run;
  }

  function committed() {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      catchUp().catch(() => {}); // the next commit or search retries
    }, INDEX_DELAY_MS);
    timer.unref?.();
  }
  committed(); // rows a crash left unindexed

  return {
    committed,
    async close() {
      clearTimeout(timer);
      await chain;
    },

    async search(userId, q) {
      await catchUp();
      // Trigram FTS needs 3+ characters; shorter queries (two CJK characters, say) scan with LIKE,
      // still limited to the caller's rooms.
      const text = q.text.trim();
      const useFts = [...text].length >= 3;
      const match = useFts ? sql`e.rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ${'"' + text.replaceAll('"', '""') + '"'})` : sql`e.body LIKE ${"%" + text.replace(/[%_\\]/g, (c) => "\\" + c) + "%"} ESCAPE '\\'`;
      const rows = await db.all<{ rowid: number; room_id: string; seq: number; sender_id: string; ts: number; body: string }>(sql`
        SELECT e.rowid AS rowid, e.room_id, e.seq, e.sender_id, e.ts, e.body FROM events e
        JOIN members m ON m.room_id = e.room_id AND m.user_id = ${userId}
        WHERE e.kind = 'message' AND e.deleted_at IS NULL AND ${match}
        ${q.room !== undefined ? sql`AND e.room_id = ${q.room}` : sql``}
        ${q.before !== undefined ? sql`AND e.rowid < ${q.before}` : sql``}
        ORDER BY e.rowid DESC LIMIT ${q.limit}`);
      return rows.map((r) => ({ room: r.room_id, seq: r.seq, sender: r.sender_id, ts: r.ts, body: r.body, cursor: r.rowid }));
    },
  };
}
