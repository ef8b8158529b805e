// HTTP routes for your account: profile, avatar, password, sessions, and the people picker.

import { Elysia, t } from "elysia";
import type { Context } from "../../context";
import { Name } from "../../protocol/schemas";
import { readFileField } from "../../body-limits";
import { authSession, authUser } from "../auth/guard";
import type { Auth } from "../auth/service";
import { AVATAR_MAX_BYTES, type Account } from "./service";
import type { Mail } from "../mail/service";

export function accountRoutes(ctx: Context, account: Account, auth: Auth, mail: Mail) {
  return new Elysia({ name: "account-routes" })
    .patch(
      "/api/me",
      async ({ request, body }) => {
        const me = await authUser(ctx, request);
        // The address is the caller's only (GET /api/me/email); it counts once confirmed (features/mail).
        const email = body.email === undefined ? undefined : await mail.setEmail(me, body.email, new URL(request.url).origin);
        return { user: await account.setDisplayName(me, body.displayName), ...(email ? { email } : {}) };
      },
      { body: t.Object({ displayName: t.Optional(Name({ maxLength: 64 })), email: t.Optional(t.String({ maxLength: 320 })) }) },
    )
    .put(
      "/api/me/avatar",
      async ({ request }) => {
        const me = await authUser(ctx, request); // before the body is read
        const file = await readFileField(request, AVATAR_MAX_BYTES, `an avatar is at most ${AVATAR_MAX_BYTES} bytes`);
        return { user: await account.setAvatar(me, file) };
      },
      { parse: "none" },
    )
    .delete("/api/me/avatar", async ({ request }) => ({ user: await account.removeAvatar(await authUser(ctx, request)) }))
    .post(
      "/api/me/password",
      async ({ request, body, set }) => {
        const { user, sid } = await authSession(ctx, request);
        await auth.changePassword(user, sid, body);
        set.status = 204;
      },
      { body: t.Object({ currentPassword: t.String({ maxLength: 1024 }), newPassword: t.String({ maxLength: 1024 }) }) },
    )
    .get("/api/me/sessions", async ({ request }) => {
      const { user, sid } = await authSession(ctx, request);
      return { sessions: await account.sessions(user, sid) };
    })
    .delete("/api/me/sessions/:id", async ({ request, params, set }) => {
      await account.endSession(await authUser(ctx, request), params.id);
      set.status = 204;
    })
    .get(
      "/api/users",
      async ({ request, query }) => {
        await authUser(ctx, request);
        return { users: await account.search(query.q ?? "", query.limit ?? 20) };
      },
      { query: t.Object({ q: t.Optional(t.String({ maxLength: 64 })), limit: t.Optional(t.Integer({ minimum: 1, maximum: 50 })) }) },
    )
    // No auth: an <img> sends no bearer token. Only an active account's current picture, served like an upload.
    .get("/api/users/:id/avatar", async ({ params }) => {
      const { bytes, mime } = await account.avatar(params.id);
      return new Response(bytes, {
        headers: {
          "content-type": mime,
          "x-content-type-options": "nosniff",
          "content-security-policy": "default-src 'none'; sandbox",
          // The URL names the picture (?v=<its id>): a new one is a new URL.
          "cache-control": "public, max-age=86400",
          "cross-origin-resource-policy": "same-origin",
        },
      });
    });
}
