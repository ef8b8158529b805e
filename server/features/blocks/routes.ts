// Blocking (protocol 1.2): PUT/DELETE /api/me/blocks/:userId, GET /api/me/blocks. The effects live where
// they apply: DMs (rooms/service.ts opens none, messages/service.ts takes no send) and notifications.

import { Elysia, t } from "elysia";
import { AppError } from "../../errors";
import type { Context } from "../../context";
import { LIMITS } from "../../protocol/types";
import { authUser } from "../auth/guard";
import { publicUser } from "../auth/service";

const params = t.Object({ userId: t.String({ minLength: 1, maxLength: LIMITS.ID_MAX }) });

export function blockRoutes(ctx: Context) {
  const { store, clock } = ctx;
  return new Elysia({ name: "block-routes" })
    .get("/api/me/blocks", async ({ request }) => {
      const me = await authUser(ctx, request);
      const rows = await store.blocksOf(me.id);
      const users = new Map((await store.usersByIds(rows.map((r) => r.blockedId))).map((u) => [u.id, u]));
      return { blocks: rows.filter((r) => users.has(r.blockedId)).map((r) => ({ user: publicUser(users.get(r.blockedId)!), createdAt: r.createdAt })) };
    })
    .put(
      "/api/me/blocks/:userId",
      async ({ request, params, set }) => {
        const me = await authUser(ctx, request);
        if (params.userId === me.id) throw new AppError("invalid_request", "you cannot block yourself");
        if (!(await store.userById(params.userId))) throw new AppError("not_found", "no such user");
        await store.setBlock(me.id, params.userId, true, clock.now());
        set.status = 204;
      },
      { params },
    )
    .delete(
      "/api/me/blocks/:userId",
      async ({ request, params, set }) => {
        const me = await authUser(ctx, request);
        await store.setBlock(me.id, params.userId, false, clock.now());
        set.status = 204;
      },
      { params },
    );
}
