// Operations endpoints: liveness, readiness, Prometheus metrics.

import { Elysia } from "elysia";
import type { Context } from "../../context";

export function opsRoutes(ctx: Context) {
  return new Elysia({ name: "ops-routes" })
    .get("/healthz", () => ({ status: "ok" }))
    .get("/metrics", () => new Response(ctx.metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4" } }))
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
