// MailStore adapter for Postgres through drizzle, on the `mail_prefs` table.

import { and, asc, eq, gt, isNotNull, isNull, lt } from "drizzle-orm";
import type { BunSQLDatabase } from "drizzle-orm/bun-sql";
import type * as schema from "../../db/schema.pg";
import { mailPrefs, users } from "../../db/schema.pg";
import type { MailPrefsRow, MailStore } from "../../ports/mail";

export function createPostgresMail(db: BunSQLDatabase<typeof schema>): MailStore {
  const one = async (where: ReturnType<typeof eq>) => (await db.select().from(mailPrefs).where(where))[0] as MailPrefsRow | undefined;
  return {
    get: (userId) => one(eq(mailPrefs.userId, userId)),
    byConfirmHash: (hash) => one(eq(mailPrefs.confirmHash, hash)),
    byUnsubscribeHash: (hash) => one(eq(mailPrefs.unsubscribeHash, hash)),
    async put(row) {
      const { userId: _, ...rest } = row;
      await db.insert(mailPrefs).values(row).onConflictDoUpdate({ target: mailPrefs.userId, set: rest });
    },
    async due(q) {
      return (await db
        .select({ userId: mailPrefs.userId, email: mailPrefs.email, lastMailedAt: mailPrefs.lastMailedAt })
        .from(mailPrefs)
        .innerJoin(users, eq(users.id, mailPrefs.userId))
        .where(and(
          isNotNull(mailPrefs.email), eq(mailPrefs.unsubscribed, false), lt(mailPrefs.lastMailedAt, q.mailedBefore),
          isNull(users.deactivatedAt), lt(users.lastSeen, q.offlineBefore), q.after === undefined ? undefined : gt(mailPrefs.userId, q.after),
        ))
        .orderBy(asc(mailPrefs.userId))
        .limit(q.limit)) as { userId: string; email: string; lastMailedAt: number }[];
    },
    async claim(userId, at, mailedBefore) {
      const r = await db
        .update(mailPrefs)
        .set({ lastMailedAt: at })
        .where(and(eq(mailPrefs.userId, userId), lt(mailPrefs.lastMailedAt, mailedBefore)))
        .returning({ userId: mailPrefs.userId });
      return r.length === 1;
    },
  };
}
