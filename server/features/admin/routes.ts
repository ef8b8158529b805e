// HTTP routes for server administration (server admins only, read from the store on each call; 403 otherwise).

import { Elysia, t } from "elysia";
import type { Context } from "../../context";
import { authUser } from "../auth/guard";
import type { Admin } from "./service";

export function adminRoutes(ctx: Context, admin: Admin) {
  return new Elysia({ name: "admin-routes" })
    .get("/api/admin/users", async ({ request, query }) => admin.users(await authUser(ctx, request), query), {
      query: t.Object({ q: t.Optional(t.String({ maxLength: 64 })), cursor: t.Optional(t.String({ maxLength: 64 })), limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })) }),
    })
    .post("/api/admin/users/:id/deactivate", async ({ request, params, set }) => {
      await admin.deactivate(await authUser(ctx, request), params.id);
      set.status = 204;
    })
    .post("/api/admin/users/:id/reactivate", async ({ request, params, set }) => {
      await admin.reactivate(await authUser(ctx, request), params.id);
      set.status = 204;
    })
    .put("/api/admin/users/:id/admin", async ({ request, params, body }) => ({ user: await admin.setAdmin(await authUser(ctx, request), params.id, body.isAdmin) }), {
      body: t.Object({ isAdmin: t.Boolean() }),
    })
    .post("/api/admin/users/:id/password-reset", async ({ request, params, set }) => {
      const r = await admin.resetCode(await authUser(ctx, request), params.id);
      set.status = 201;
      return r;
    });
}
