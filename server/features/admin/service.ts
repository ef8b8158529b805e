// Server administration: the user list, deactivate/reactivate, the admin flag (never the last admin), reset codes.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import { CLOSE, type User } from "../../protocol/types";
import type { UserRow } from "../../ports/store";
import { closeUser, sessionsEnded } from "../../realtime/publish";
import { publicUser, type Auth } from "../auth/service";
import { requireServerAdmin } from "../invites/service";

export interface AdminUserView extends User {
  createdAt: number;
  lastSeen: number | null;
  deactivatedAt: number | null;
}

const PAGE_MAX = 100;

/** Every method takes `me` as read from the store by authUser for this call: a revoked admin is refused at once. */
export function createAdmin(ctx: Context, auth: Auth) {
  const { store, clock } = ctx;

  async function target(id: string): Promise<UserRow> {
    const u = await store.userById(id);
    if (!u) throw new AppError("not_found", "no such user");
    return u;
  }

  return {
    async users(me: UserRow, q: { q?: string; cursor?: string; limit?: number }): Promise<{ users: AdminUserView[]; nextCursor?: string }> {
      requireServerAdmin(me);
      const limit = Math.min(Math.max(q.limit ?? 50, 1), PAGE_MAX);
      const rows = await store.listUsers({ search: q.q?.trim() || undefined, after: q.cursor || undefined, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const users = page.map((u) => ({ ...publicUser(u), createdAt: u.createdAt, lastSeen: u.lastSeen, deactivatedAt: u.deactivatedAt }));
      return rows.length > limit ? { users, nextCursor: page[page.length - 1].username } : { users };
    },

    async deactivate(me: UserRow, id: string): Promise<void> {
      requireServerAdmin(me);
      if (id === me.id) throw new AppError("invalid_request", "you cannot deactivate yourself");
      await target(id);
      const ended = await store.endSessions(id, clock.now());
      await store.deactivateUser(id, clock.now()); // revokes what is left of its refresh tokens
      closeUser(ctx.bus, id, CLOSE.BANNED, "account deactivated"); // on every node, before `ended` (4001) reaches them
      // Refused even after a reactivation: the account's old access tokens never come back.
      ctx.endedSessions.add(ended);
      sessionsEnded(ctx.bus, id, ended);
      ctx.log.info("account deactivated", { userId: id, by: me.id });
    },

    async reactivate(me: UserRow, id: string): Promise<void> {
      requireServerAdmin(me);
      await target(id);
      await store.updateUser(id, { deactivatedAt: null });
      ctx.log.info("account reactivated", { userId: id, by: me.id });
    },

    async setAdmin(me: UserRow, id: string, isAdmin: boolean): Promise<User> {
      requireServerAdmin(me);
      const u = await target(id);
      if (u.isAdmin && !isAdmin && !u.deactivatedAt && (await store.countAdmins()) <= 1) throw new AppError("last_admin");
      await store.updateUser(id, { isAdmin });
      ctx.log.info("server admin flag changed", { userId: id, isAdmin, by: me.id });
      return publicUser({ ...u, isAdmin });
    },

    async resetCode(me: UserRow, id: string): Promise<{ code: string; expiresAt: number }> {
      requireServerAdmin(me);
      await target(id);
      ctx.log.info("password reset code made", { userId: id, by: me.id });
      return auth.createResetCode(id);
    },
  };
}

export type Admin = ReturnType<typeof createAdmin>;
