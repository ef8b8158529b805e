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
      if (q.rooms?.length === 0) return [];
      const args: unknown[] = [userId];
      const arg = (v: unknown) => (args.push(v), `$${args.length}`);
      let extra = "";
      // Every text must appear: an ILIKE each, all served by the trigram index.
      for (const t of [q.text, ...(q.terms ?? [])].map((x) => x.trim()).filter((x) => x !== "")) {
        extra += ` AND e.body ILIKE ${arg("%" + t.replace(/[\\%_]/g, (c) => "\\" + c).replaceAll("\0", "\uFFFD") + "%")}`;
      }
      if (q.room !== undefined) extra += ` AND e.room_id = ${arg(q.room)}`;
      if (q.rooms) extra += ` AND e.room_id IN (${q.rooms.map(arg).join(", ")})`;
      if (q.from !== undefined) extra += ` AND e.sender_id = ${arg(q.from)}`;
      for (const h of new Set(q.has ?? [])) {
        if (h === "link") extra += ` AND (e.body ILIKE '%http://%' OR e.body ILIKE '%https://%')`;
        else extra += ` AND EXISTS (SELECT 1 FROM uploads u WHERE u.room_id = e.room_id AND u.msg_seq = e.seq AND u.deleted_at IS NULL${h === "image" ? " AND u.mime LIKE 'image/%'" : ""})`;
      }
      if (q.sentFrom !== undefined) extra += ` AND e.ts >= ${arg(q.sentFrom)}`;
      if (q.sentUntil !== undefined) extra += ` AND e.ts < ${arg(q.sentUntil)}`;
      if (q.before !== undefined) extra += ` AND e.pos < ${arg(q.before)}`;
      const limit = arg(q.limit);
      const rows = await client.unsafe(
        `SELECT e.pos, e.room_id, e.seq, e.sender_id, e.ts, e.body FROM events e
         JOIN members m ON m.room_id = e.room_id AND m.user_id = $1
         WHERE e.kind = 'message' AND e.deleted_at IS NULL${extra}
         ORDER BY e.pos DESC LIMIT ${limit}`,
        args,
      );
      return rows.map((r: Record<string, unknown>) => ({
        room: r.room_id as string, seq: Number(r.seq), sender: r.sender_id as string, ts: Number(r.ts), body: r.body as string, cursor: Number(r.pos),
      }));
    },
  };
}
