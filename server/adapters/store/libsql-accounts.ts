// libSQL store, accounts part: profile changes, the user list, sessions, invites and password-reset codes.

import { and, desc, eq, gt, gte, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import { invites, passwordResets, refreshTokens, sessions, users } from "../../db/schema";
import type { InviteRow, Store } from "../../ports/store";
import type { Db } from "./libsql";

type AccountsPart = Pick<
  Store,
  | "updateUser" | "listUsers" | "countAdmins" | "insertSession" | "sessionById" | "sessionsOf" | "touchSession" | "endSessions"
  | "endedSessionsSince" | "insertInvite" | "inviteByCode" | "liveInvites" | "revokeInvite" | "consumeInvite"
  | "insertPasswordReset" | "consumePasswordReset"
>;

/** `text` as a LIKE pattern matching it literally anywhere (escape character: backslash). */
export const containsPattern = (text: string) => "%" + text.toLowerCase().replace(/[\\%_]/g, (c) => "\\" + c) + "%";

const inviteRow = (r: typeof invites.$inferSelect): InviteRow => ({ ...r, rooms: JSON.parse(r.rooms) as string[] });

export function createLibsqlAccounts(db: Db): AccountsPart {
  return {
    async updateUser(id, patch) {
      if (Object.keys(patch).length === 0) return;
      await db.update(users).set(patch).where(eq(users.id, id));
    },
    async listUsers(q) {
      const where: SQL[] = [];
      if (q.after !== undefined) where.push(gt(users.username, q.after));
      if (q.activeOnly) where.push(isNull(users.deactivatedAt));
      if (q.search) {
        const p = containsPattern(q.search);
        where.push(or(sql`lower(${users.username}) LIKE ${p} ESCAPE '\\'`, sql`lower(${users.displayName}) LIKE ${p} ESCAPE '\\'`)!);
      }
      return db.select().from(users).where(and(...where)).orderBy(users.username).limit(q.limit);
    },
    async countAdmins() {
      const [r] = await db.select({ n: sql<number>`count(*)` }).from(users).where(and(eq(users.isAdmin, true), isNull(users.deactivatedAt)));
      return Number(r.n);
    },

    async insertSession(s) {
      await db.insert(sessions).values(s);
    },
    async sessionById(id) {
      return (await db.select().from(sessions).where(eq(sessions.id, id)))[0];
    },
    async sessionsOf(userId) {
      return db.select().from(sessions).where(and(eq(sessions.userId, userId), isNull(sessions.endedAt))).orderBy(desc(sessions.lastUsedAt));
    },
    async touchSession(id, at) {
      await db.update(sessions).set({ lastUsedAt: at }).where(and(eq(sessions.id, id), isNull(sessions.endedAt)));
    },
    async endSessions(userId, at, which = {}) {
      const live = and(
        eq(sessions.userId, userId), isNull(sessions.endedAt),
        which.only !== undefined ? eq(sessions.id, which.only) : undefined,
        which.except !== undefined ? ne(sessions.id, which.except) : undefined,
      );
      // Without `only`, every other refresh token of the user goes too (families older than the sessions table).
      const tokens = which.only !== undefined
        ? and(eq(refreshTokens.userId, userId), eq(refreshTokens.familyId, which.only), isNull(refreshTokens.revokedAt))
        : and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt), which.except !== undefined ? ne(refreshTokens.familyId, which.except) : undefined);
      const [, ended] = await db.batch([
        db.update(refreshTokens).set({ revokedAt: at }).where(tokens),
        db.update(sessions).set({ endedAt: at }).where(live).returning({ id: sessions.id }),
      ]);
      return ended.map((r) => r.id);
    },
    async endedSessionsSince(since) {
      return db.select({ id: sessions.id, userId: sessions.userId }).from(sessions).where(gte(sessions.endedAt, since));
    },

    async insertInvite(i) {
      await db.insert(invites).values({ ...i, rooms: JSON.stringify(i.rooms) });
    },
    async inviteByCode(code) {
      const [r] = await db.select().from(invites).where(eq(invites.code, code));
      return r && inviteRow(r);
    },
    async liveInvites(now) {
      return (await db.select().from(invites).where(and(isNull(invites.revokedAt), gt(invites.expiresAt, now))).orderBy(desc(invites.createdAt))).map(inviteRow);
    },
    async revokeInvite(code, at) {
      const r = await db.update(invites).set({ revokedAt: at }).where(and(eq(invites.code, code), isNull(invites.revokedAt))).returning({ code: invites.code });
      return r.length === 1;
    },
    async consumeInvite(code, now) {
      const [r] = await db
        .update(invites)
        .set({ uses: sql`${invites.uses} + 1` })
        .where(and(eq(invites.code, code), isNull(invites.revokedAt), gt(invites.expiresAt, now), sql`${invites.uses} < ${invites.maxUses}`))
        .returning();
      return r && inviteRow(r);
    },

    async insertPasswordReset(r) {
      await db.insert(passwordResets).values(r);
    },
    async consumePasswordReset(codeHash, now) {
      const [r] = await db
        .update(passwordResets)
        .set({ usedAt: now })
        .where(and(eq(passwordResets.codeHash, codeHash), isNull(passwordResets.usedAt), gt(passwordResets.expiresAt, now)))
        .returning({ userId: passwordResets.userId });
      return r?.userId;
    },
  };
}
