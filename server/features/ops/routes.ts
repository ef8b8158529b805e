// Operations endpoints: liveness, readiness, Prometheus metrics.

import { Elysia } from "elysia";
import type { Context } from "../../context";

/** Whether the node wants new connections: it stops wanting them once it starts draining (SIGTERM). */
export interface Readiness {
  readonly draining: boolean;
  /** Called once, first thing in the graceful stop (serve.ts). */
  drain(): void;
}

export function createReadiness(): Readiness {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    drain() {
      draining = true;
    },
  };
}

/**
 * OPS-1 `/healthz` is liveness: 200 while the process answers, draining or not (a probe that failed
 * during the drain would get the process killed before its writes are committed).
 * OPS-2 `/readyz` is readiness: 503 `draining` from the moment the stop begins, before any socket is
 * closed, so a balancer that still reaches the node takes it out of rotation; otherwise 503
 * `unavailable` when the store does not answer.
 */
export function opsRoutes(ctx: Context, readiness: Readiness) {
  return new Elysia({ name: "ops-routes" })
    .get("/healthz", () => ({ status: "ok" }))
    .get("/metrics", () => new Response(ctx.metrics.render(), { headers: { "content-type": "text/plain; version=0.0.4" } }))
    .get("/readyz", async ({ set }) => {
      const storeAnswers = !readiness.draining && (await ctx.store.countUsers().then(() => true, () => false));
      // Draining is checked again after the store: the stop may have begun while it answered.
      const status = readiness.draining ? "draining" : storeAnswers ? "ready" : "unavailable";
      if (status !== "ready") set.status = 503;
      return { status };
    });
}
