// Operations endpoints: liveness, readiness, Prometheus metrics.

import { Elysia } from "elysia";
import { timingSafeEqual } from "node:crypto";
import type { Context } from "../../context";
import { AppError } from "../../errors";

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
/** OPS-3 with --metrics-token set, /metrics answers only `Authorization: Bearer <token>` (compared in constant time). */
function metricsAllowed(token: string, authorization: string | null): boolean {
  if (!token) return true;
  const given = Buffer.from(authorization ?? "");
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

export function opsRoutes(ctx: Context, readiness: Readiness) {
  return new Elysia({ name: "ops-routes" })
    .get("/healthz", () => ({ status: "ok" }))
    .get("/metrics", async ({ request }) => {
      if (!metricsAllowed(ctx.config.metricsToken, request.headers.get("authorization"))) {
        throw new AppError("unauthenticated", "/metrics needs the bearer token set with --metrics-token");
      }
      return new Response(await ctx.metrics.render(), { headers: { "content-type": ctx.metrics.contentType } });
    })
    .get("/readyz", async ({ set }) => {
      const storeAnswers = !readiness.draining && (await ctx.store.countUsers().then(() => true, () => false));
      // Draining is checked again after the store: the stop may have begun while it answered.
      const status = readiness.draining ? "draining" : storeAnswers ? "ready" : "unavailable";
      if (status !== "ready") set.status = 503;
      return { status };
    });
}
