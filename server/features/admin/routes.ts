// Server administration: deactivating an account closes its sockets (4003) and ends its sessions.

import { Elysia } from "elysia";
import { AppError } from "../../errors";
import type { Context } from "../../context";
import { CLOSE } from "../../protocol/types";
import { authUser } from "../auth/guard";
import { closeUser } from "../../realtime/publish";

export function adminRoutes(ctx: Context) {
  return new Elysia({ name: "admin-routes" }).post("/api/admin/users/:id/deactivate", async ({ request, params, set }) => {
    const me = await authUser(ctx, request);
    if (!me.isAdmin) throw new AppError("forbidden", "server admins only");
    if (params.id === me.id) throw new AppError("invalid_request", "you cannot deactivate yourself");
    if (!(await ctx.store.userById(params.id))) throw new AppError("not_found", "no such user");
    await ctx.store.deactivateUser(params.id, ctx.clock.now());
    closeUser(ctx.bus, params.id, CLOSE.BANNED, "account deactivated"); // on every node
    ctx.log.info("account deactivated", { userId: params.id, by: me.id });
    set.status = 204;
  });
}
