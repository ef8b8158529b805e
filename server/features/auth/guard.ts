// The HTTP auth gate: Bearer access token → the current, active user.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import type { UserRow } from "../../ports/store";
import { verifyAccess } from "./tokens";

export async function authUser(ctx: Context, request: Request): Promise<UserRow> {
  const h = request.headers.get("authorization");
  if (!h || !h.startsWith("Bearer ")) throw new AppError("unauthenticated", "missing bearer token");
  const userId = await verifyAccess(ctx, h.slice(7));
  const wait = await ctx.httpLimit.take(userId);
  if (wait > 0) throw new AppError("rate_limited", "too many requests, slow down", { retryAfterMs: wait });
  const user = await ctx.store.userById(userId);
  if (!user) throw new AppError("unauthenticated", "unknown user");
  if (user.deactivatedAt) throw new AppError("forbidden", "account deactivated");
  return user;
}
