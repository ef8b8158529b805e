// createApp(ctx): the Elysia HTTP app with every feature mounted and one error handler. Never listens.

import { Elysia } from "elysia";
import { AppError, errorBody } from "./errors";
import { inputProblem, NAME_FORMAT_MESSAGE } from "./protocol/schemas";
import { bodyRule, checkDeclaredBody, isJson, readJson } from "./body-limits";
import type { Context } from "./context";
import { createAuth } from "./features/auth/service";
import { authRoutes } from "./features/auth/routes";
import { createOidc } from "./features/auth/oidc";
import { oidcRoutes } from "./features/auth/oidc-routes";
import { createRooms } from "./features/rooms/service";
import { roomRoutes } from "./features/rooms/routes";
import { createMessages } from "./features/messages/service";
import { createReadiness, opsRoutes } from "./features/ops/routes";
import { createModeration } from "./features/moderation/service";
import { moderationRoutes } from "./features/moderation/routes";
import { adminRoutes } from "./features/admin/routes";
import { createAdmin } from "./features/admin/service";
import { createAccount } from "./features/account/service";
import { accountRoutes } from "./features/account/routes";
import { createInvites } from "./features/invites/service";
import { inviteRoutes } from "./features/invites/routes";
import { searchRoutes } from "./features/search/routes";
import { blockRoutes } from "./features/blocks/routes";
import { createUploads } from "./features/uploads/service";
import { uploadRoutes } from "./features/uploads/routes";
import { createPush } from "./features/push/service";
import { pushRoutes } from "./features/push/routes";
import { webRoutes } from "./features/web/routes";
import { createExpiry } from "./features/expiry/expiry";
import { createPreviews } from "./features/previews/service";
import { httpMeter } from "./metrics";
import { createMail } from "./features/mail/service";
import { mailRoutes } from "./features/mail/routes";

const DRAFT_SWEEP_MS = 60 * 60_000;
const PUSH_TITLES = { dm: "New direct message", mention: "You were mentioned", thread: "New reply in a thread" } as const;

export function createServices(ctx: Context) {
  const uploads = createUploads(ctx, ctx.store.uploads);
  const sweep = () => uploads.sweepDrafts().catch((e) => ctx.log.warn("draft upload sweep failed", { err: String(e) }));
  void sweep();
  const sweeper = setInterval(sweep, DRAFT_SWEEP_MS);
  sweeper.unref();
  const push = createPush(ctx, ctx.store.push, { subject: ctx.config.pushSubject, allowLoopbackHttp: ctx.config.pushAllowLoopbackHttp });
  const previews = createPreviews(ctx);
  const messages = createMessages(ctx, {
    sent: (w) => previews.sent(w),
    claimUploads: (room, sender, ids) => uploads.claim(room, sender, ids),
    copyUploads: (from, to, sender, ids) => uploads.copyForForward(from, to, sender, ids),
    removeUploads: (room, seq) => uploads.removeForMessage(room, seq),
    pushOffline: (userId, n) => push.send(userId, { title: PUSH_TITLES[n.kind], body: n.body, room: n.room, seq: n.seq, kind: n.kind }),
  });
  const auth = createAuth(ctx);
  // One job, one lease, for every way a message expires (a room's TTL and --retention-days).
  const expiry = createExpiry(ctx, { removeUploads: (room, seq) => uploads.removeForMessage(room, seq), retentionDays: ctx.config.retentionDays });
  const mail = createMail(ctx);
  return {
    auth, oidc: createOidc(ctx, auth), rooms: createRooms(ctx), messages, uploads, push, moderation: createModeration(ctx),
    account: createAccount(ctx), invites: createInvites(ctx), admin: createAdmin(ctx, auth),
    /** `/readyz` answers 503 once the graceful stop calls `drain()` (serve.ts). */
    readiness: createReadiness(),
    /** The expiry job: rooms' expiring messages and --retention-days (one node of a cluster runs each pass). */
    expiry,
    /** Link previews: fetched after a message with a link is committed (features/previews). */
    previews,
    /** Mail for what users missed, when --smtp-url is set (features/mail). */
    mail,
    /** Stops the periodic work (the draft sweep, the expiry and mail jobs). */
    stop: () => {
      clearInterval(sweeper);
      void expiry.stop();
      void mail.stop();
    },
  };
}
export type Services = ReturnType<typeof createServices>;

/** The request's arrival, kept on Elysia's own per-request context object (no allocation of ours). */
type Timed = { startedAt: number };

/** `requestIds`: the id serve.ts gave each request (its debug line), reused when the request fails. */
export function createApp(ctx: Context, services: Services, requestIds: WeakMap<Request, string> = new WeakMap()) {
  const http = httpMeter(ctx.metrics);
  return new Elysia()
    .onRequest((c) => {
      (c as unknown as Timed).startedAt = performance.now();
      // No answer of ours is ever to be sniffed into another type (JSON read as HTML or script).
      c.set.headers["x-content-type-options"] = "nosniff";
      checkDeclaredBody(c.request, pathOf(c.request.url), ctx.config);
    })
    // After the answer is out: `route` is the matched pattern; a handler's own Response carries its status.
    .onAfterResponse({ as: "global" }, (c) => {
      const status = c.responseValue instanceof Response ? c.responseValue.status : Number(c.set.status ?? 200);
      http.request(c.request.method, c.route, status, (performance.now() - (c as unknown as Timed).startedAt) / 1000);
    })
    // JSON bodies are read here, counted against the route's cap as they arrive (body-limits.ts).
    .onParse({ as: "global" }, ({ request }) => {
      if (!isJson(request.headers.get("content-type"))) return;
      return readJson(request, bodyRule(request.method, pathOf(request.url)).maxBytes(ctx.config));
    })
    // With a global parse hook, a route's `parse: "none"` (uploads read their own body) is looked up
    // as a named parser after it: this one leaves the body unread, as "none" alone does.
    .parser("none", () => null)
    // Every parsed input passes the one text check before any route schema (protocol/schemas.ts).
    .onTransform({ as: "global" }, ({ body, query, params }) => {
      const problem = inputProblem(body, "body") ?? inputProblem(query, "query") ?? inputProblem(params, "path");
      if (problem) throw new AppError("invalid_request", problem);
    })
    .onError(({ code, error, set, request }) => {
      let e: AppError;
      if (error instanceof AppError) e = error;
      else if (code === "VALIDATION") e = new AppError("invalid_request", validationMessage(error));
      else if (code === "PARSE") e = (error as Error).cause instanceof AppError ? ((error as Error).cause as AppError) : new AppError("invalid_request", "malformed request body");
      else if (code === "NOT_FOUND") e = new AppError("not_found", "no such endpoint");
      else {
        const requestId = requestIds.get(request) ?? ctx.ids.id();
        ctx.log.error("request failed", { requestId, method: request.method, path: new URL(request.url).pathname, err: String(error), stack: (error as Error)?.stack });
        e = new AppError("internal", `internal error (request ${requestId})`);
      }
      http.error(e.code);
      set.status = e.status;
      set.headers["content-type"] = "application/json";
      if (e.retryAfterMs !== undefined) set.headers["retry-after"] = String(Math.max(1, Math.ceil(e.retryAfterMs / 1000)));
      return errorBody(e);
    })
    .use(authRoutes(ctx, services.auth))
    .use(oidcRoutes(ctx, services.auth, services.oidc))
    .use(roomRoutes(ctx, services.rooms, services.messages))
    .use(moderationRoutes(ctx, services.moderation, services.rooms))
    .use(searchRoutes(ctx))
    .use(uploadRoutes(ctx, services.uploads))
    .use(pushRoutes(ctx, services.push))
    .use(adminRoutes(ctx, services.admin))
    .use(accountRoutes(ctx, services.account, services.auth, services.mail))
    .use(mailRoutes(ctx, services.mail))
    .use(blockRoutes(ctx))
    .use(inviteRoutes(ctx, services.invites))
    .use(opsRoutes(ctx, services.readiness))
    .use(webRoutes(ctx));
}

/** The path of a request URL, without parsing it (`http://host/path?query` → `/path`). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", start);
  return url.slice(start, end < 0 ? undefined : end);
}

function validationMessage(error: unknown): string {
  const v = error as { valueError?: { path?: string; message?: string; schema?: { format?: string } } };
  const path = v.valueError?.path?.replace(/^\//, "");
  const message = v.valueError?.schema?.format === "name" ? NAME_FORMAT_MESSAGE : v.valueError?.message;
  return message ? `${path ? path + ": " : ""}${message}` : "invalid request";
}
