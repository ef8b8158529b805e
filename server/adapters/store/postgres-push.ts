// PushStore adapter for PostgreSQL through drizzle, on the `push_subscriptions` table.

import { and, asc, eq } from "drizzle-orm";
import { pushSubscriptions } from "../../db/schema.pg";
import type { PushStore, PushSubscriptionRow } from "../../ports/push";
import type { PgDb } from "./postgres";

export function createPostgresPush(db: PgDb): PushStore {
  return {
    async upsert(row) {
      // ON CONFLICT on the unique endpoint makes the takeover one statement, so no race leaves two rows.
      await db
        .insert(pushSubscriptions)
        .values(row)
        .onConflictDoUpdate({
          target: pushSubscriptions.endpoint,
          set: { userId: row.userId, p256dh: row.p256dh, auth: row.auth, createdAt: row.createdAt },
        });
    },
    async removeForUser(userId, endpoint) {
      const r = await db
        .delete(pushSubscriptions)
        .where(and(eq(pushSubscriptions.userId, userId), eq(pushSubscriptions.endpoint, endpoint)))
        .returning({ id: pushSubscriptions.id });
      return r.length > 0;
    },
    async listByUser(userId) {
      return (await db
        .select()
        .from(pushSubscriptions)
        .where(eq(pushSubscriptions.userId, userId))
        .orderBy(asc(pushSubscriptions.createdAt), asc(pushSubscriptions.id))) as PushSubscriptionRow[];
    },
    async removeEndpoint(endpoint) {
      await db.delete(pushSubscriptions).where(eq(pushSubscriptions.endpoint, endpoint));
    },
  };
}
