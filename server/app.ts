// createApp(ctx): the Elysia HTTP app with every feature mounted and one error handler. Never listens.

import { Elysia } from "elysia";
import { AppError, errorBody } from "./errors";
import type { Context } from "./context";
import { createAuth } from "./features/auth/service";
import { authRoutes } from "./features/auth/routes";
import { createRooms } from "./features/rooms/service";
import { roomRoutes } from "./features/rooms/routes";
import { createMessages } from "./features/messages/service";
import { createReadiness, opsRoutes } from "./features/ops/routes";
import { createModeration } from "./features/moderation/service";
import { moderationRoutes } from "./features/moderation/routes";
import { adminRoutes } from "./features/admin/routes";
import { searchRoutes } from "./features/search/routes";
import { createUploads } from "./features/uploads/service";
import { uploadRoutes } from "./features/uploads/routes";
import { createPush } from "./features/push/service";
import { pushRoutes } from "./features/push/routes";
import { webRoutes } from "./features/web/routes";

const DRAFT_SWEEP_MS = 60 * 60_000;

export function createServices(ctx: Context) {
  const uploads = createUploads(ctx, ctx.store.uploads);
  const sweep = () => uploads.sweepDrafts().catch((e) => ctx.log.warn("draft upload sweep failed", { err: String(e) }));
  void sweep();
  const sweeper = setInterval(sweep, DRAFT_SWEEP_MS);
  sweeper.unref();
  const push = createPush(ctx, ctx.store.push, { subject: ctx.config.pushSubject, allowLoopbackHttp: ctx.config.pushAllowLoopbackHttp });
  const messages = createMessages(ctx, {
    claimUploads: (room, sender, ids) => uploads.claim(room, sender, ids),
    removeUploads: (room, seq) => uploads.removeForMessage(room, seq),
    pushOffline: (userId, n) => push.send(userId, { title: n.kind === "dm" ? "New direct message" : "You were mentioned", body: n.body, room: n.room, seq: n.seq, kind: n.kind }),
  });
  return {
    auth: createAuth(ctx), rooms: createRooms(ctx), messages, uploads, push, moderation: createModeration(ctx),
    /** `/readyz` answers 503 once the graceful stop calls `drain()` (serve.ts). */
    readiness: createReadiness(),
    /** Stops the periodic work (the draft sweep). */
    stop: () => clearInterval(sweeper),
  };
}
export type Services = ReturnType<typeof createServices>;

export function createApp(ctx: Context, services: Services) {
  return new Elysia()
    .onError(({ code, error, set, request }) => {
      let e: AppError;
      if (error instanceof AppError) e = error;
      else if (code === "VALIDATION") e = new AppError("invalid_request", validationMessage(error));
      else if (code === "PARSE") e = new AppError("invalid_request", "malformed request body");
      else if (code === "NOT_FOUND") e = new AppError("not_found", "no such endpoint");
      else {
        const requestId = ctx.ids.id();
        ctx.log.error("request failed", { requestId, method: request.method, path: new URL(request.url).pathname, err: String(error), stack: (error as Error)?.stack });
        e = new AppError("internal", `internal error (request ${requestId})`);
      }
      set.status = e.status;
      set.headers["content-type"] = "application/json";
      if (e.retryAfterMs !== undefined) set.headers["retry-after"] = String(Math.max(1, Math.ceil(e.retryAfterMs / 1000)));
      return errorBody(e);
    })
    .use(authRoutes(ctx, services.auth))
    .use(roomRoutes(ctx, services.rooms, services.messages))
    .use(moderationRoutes(ctx, services.moderation, services.rooms))
    .use(searchRoutes(ctx))
    .use(uploadRoutes(ctx, services.uploads))
    .use(pushRoutes(ctx, services.push))
    .use(adminRoutes(ctx))
    .use(opsRoutes(ctx, services.readiness))
    .use(webRoutes(ctx));
}

function validationMessage(error: unknown): string {
  const v = error as { valueError?: { path?: string; message?: string } };
  const path = v.valueError?.path?.replace(/^\//, "");
  return v.valueError?.message ? `${path ? path + ": " : ""}${v.valueError.message}` : "invalid request";
}
