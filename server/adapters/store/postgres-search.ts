// PostgreSQL store, search part: ILIKE over current message bodies, served by the trigram index (drizzle-pg/0001_search.sql).

import type { SQL } from "bun";
import type { Store } from "../../ports/store";

/**
 * Same semantics as libSQL's search: substring match, case-insensitive, on the current body (edits
 * rewrite it, deletes clear it), in the caller's rooms, newest first. The cursor is the row's `pos`
 * (insertion order, as SQLite's rowid there); indexed at commit, so a search never misses a message.
 */
export function createPostgresSearch(client: SQL): Pick<Store, "search"> {
  return {
    async search(userId, q) {
      const pattern = "%" + q.text.trim().replace(/[\\%_]/g, (c) => "\\" + c).replaceAll("\0", "\uFFFD") + "%";
      const args: unknown[] = [userId, pattern];
      let extra = "";
      if (q.room !== undefined) args.push(q.room), (extra += ` AND e.room_id = $${args.length}`);
      if (q.before !== undefined) args.push(q.before), (extra += ` AND e.pos < $${args.length}`);
      args.push(q.limit);
      const rows = await client.unsafe(
        `SELECT e.pos, e.room_id, e.seq, e.sender_id, e.ts, e.body FROM events e
         JOIN members m ON m.room_id = e.room_id AND m.user_id = $1
         WHERE e.kind = 'message' AND e.deleted_at IS NULL AND e.body ILIKE $2${extra}
         ORDER BY e.pos DESC LIMIT $${args.length}`,
        args,
      );
      return rows.map((r: Record<string, unknown>) => ({
        room: r.room_id as string, seq: Number(r.seq), sender: r.sender_id as string, ts: Number(r.ts), body: r.body as string, cursor: Number(r.pos),
      }));
    },
  };
}
