// libSQL store, conversation-depth part (protocol 1.2): delivered marks in batches, blocks.

import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { blocks } from "../../db/schema";
import type { Store } from "../../ports/store";
import type { Db } from "./libsql";

type DepthPart = Pick<Store, "advanceDelivered" | "setBlock" | "blocksOf" | "blockersAmong">;

export function createLibsqlDepth(db: Db): DepthPart {
  return {
    async advanceDelivered(marks) {
      if (marks.length === 0) return;
      // The marks travel as one JSON array: one statement text for any batch (kept prepared).
      const v = JSON.stringify(marks.map((m) => [m.roomId, m.userId, m.seq]));
      await db.run(sql`WITH v(room_id, user_id, seq) AS (
          SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), max(json_extract(value, '$[2]')) FROM json_each(${v}) GROUP BY 1, 2)
        UPDATE members SET delivered_seq = max(members.delivered_seq, min(v.seq, (SELECT last_seq FROM rooms WHERE id = members.room_id)))
        FROM v WHERE members.room_id = v.room_id AND members.user_id = v.user_id`);
    },
    async setBlock(userId, blockedId, on, at) {
      if (on) await db.insert(blocks).values({ userId, blockedId, createdAt: at }).onConflictDoNothing();
      else await db.delete(blocks).where(and(eq(blocks.userId, userId), eq(blocks.blockedId, blockedId)));
    },
    async blocksOf(userId) {
      return db.select({ blockedId: blocks.blockedId, createdAt: blocks.createdAt }).from(blocks)
        .where(eq(blocks.userId, userId)).orderBy(desc(blocks.createdAt), blocks.blockedId);
    },
    async blockersAmong(blockedId, userIds) {
      if (userIds.length === 0) return [];
      const rows = await db.select({ u: blocks.userId }).from(blocks).where(and(eq(blocks.blockedId, blockedId), inArray(blocks.userId, userIds)));
      return rows.map((r) => r.u);
    },
  };
}
