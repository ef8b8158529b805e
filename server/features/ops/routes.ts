// Operations endpoints: liveness and readiness.

import { Elysia } from "elysia";
import type { Context } from "../../context";

export function opsRoutes(ctx: Context) {
  return new Elysia({ name: "ops-routes" })
    .get("/healthz", () => ({ status: "ok" }))
    .get("/readyz", async ({ set }) => {
      try {
        await ctx.store.countUsers();
        return { status: "ready" };
      } catch {
        set.status = 503;
        return { status: "unavailable" };
      }
    });
}
