// The HTTP auth gate: Bearer access token → the current, active user.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { UserRow } from "../../ports/store";
import { verifyAccess } from "./tokens";

export async function authUser(ctx: Context, request: Request): Promise<UserRow> {
  return (await authSession(ctx, request)).user;
}

/** As authUser, with the session (refresh-token family id) the access token belongs to. */
export async function authSession(ctx: Context, request: Request): Promise<{ user: UserRow; sid: string }> {
  const h = request.headers.get("authorization");
  if (!h || !h.startsWith("Bearer ")) throw new AppError("unauthenticated", "missing bearer token");
  const { userId, sid } = await verifyAccess(ctx, h.slice(7));
  const wait = await ctx.httpLimit.take(userId);
  if (wait > 0) throw new AppError("rate_limited", "too many requests, slow down", { retryAfterMs: wait });
  const user = await ctx.store.userById(userId);
  if (!user) throw new AppError("unauthenticated", "unknown user");
  if (user.deactivatedAt) throw new AppError("forbidden", "account deactivated");
  if (ctx.endedSessions.has(sid)) throw new AppError("unauthenticated", "session ended");
  return { user, sid };
}
