// PostgreSQL store, conversation-depth part (protocol 1.2): delivered marks in batches, blocks.

import type { SQL } from "bun";
import type { Store } from "../../ports/store";

type DepthPart = Pick<Store, "advanceDelivered" | "setBlock" | "blocksOf" | "blockersAmong">;

// Array parameters: one statement text for any batch. Repeated (room, user) pairs keep their highest seq.
const ADVANCE_DELIVERED = `UPDATE members m SET delivered_seq = GREATEST(m.delivered_seq, LEAST(v.seq, r.last_seq))
  FROM (SELECT room_id, user_id, max(seq) AS seq FROM unnest($1::text[], $2::text[], $3::bigint[]) AS q(room_id, user_id, seq) GROUP BY 1, 2) v, rooms r
  WHERE m.room_id = v.room_id AND m.user_id = v.user_id AND r.id = v.room_id`;

export function createPostgresDepth(client: SQL): DepthPart {
  return {
    async advanceDelivered(marks) {
      if (marks.length === 0) return;
      await client.unsafe(ADVANCE_DELIVERED, [marks.map((m) => m.roomId), marks.map((m) => m.userId), marks.map((m) => m.seq)]);
    },
    async setBlock(userId, blockedId, on, at) {
      if (on) await client.unsafe("INSERT INTO blocks (user_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [userId, blockedId, at]);
      else await client.unsafe("DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2", [userId, blockedId]);
    },
    async blocksOf(userId) {
      const rows = await client.unsafe("SELECT blocked_id, created_at FROM blocks WHERE user_id = $1 ORDER BY created_at DESC, blocked_id", [userId]);
      return rows.map((r: Record<string, unknown>) => ({ blockedId: r.blocked_id as string, createdAt: Number(r.created_at) }));
    },
    async blockersAmong(blockedId, userIds) {
      if (userIds.length === 0) return [];
      const rows = await client.unsafe("SELECT user_id FROM blocks WHERE blocked_id = $1 AND user_id = ANY($2::text[])", [blockedId, userIds]);
      return rows.map((r: Record<string, unknown>) => r.user_id as string);
    },
  };
}
