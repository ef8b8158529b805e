// HTTP routes for accounts: register, login, refresh, logout, me.

import { Elysia, t } from "elysia";
import type { Context } from "../../context";
import type { Auth } from "./service";
import { publicUser } from "./service";
import { authUser } from "./guard";
import { requestAddress } from "./client-address";
import { Name } from "../../protocol/schemas";

const Credentials = t.Object({ username: t.String({ maxLength: 64 }), password: t.String({ maxLength: 1024 }) });
const RefreshBody = t.Object({ refreshToken: t.String({ maxLength: 200 }) });

/** The client's User-Agent as the sessions list shows it ("" when none). */
export const userAgent = (request: Request) => request.headers.get("user-agent") ?? "";

export function authRoutes(ctx: Context, auth: Auth) {
  return new Elysia({ name: "auth-routes" })
    .post(
      "/api/auth/register",
      async ({ body, request, server, set }) => {
        const s = await auth.register(body, requestAddress(ctx.config.trustProxy, server, request), userAgent(request));
        set.status = 201;
        return s;
      },
      { body: t.Object({ username: t.String({ maxLength: 64 }), password: t.String({ maxLength: 1024 }), displayName: t.Optional(Name({ maxLength: 64 })), inviteCode: t.Optional(t.String({ maxLength: 128 })) }) },
    )
    .post("/api/auth/login", ({ body, request, server }) => auth.login(body, requestAddress(ctx.config.trustProxy, server, request), userAgent(request)), { body: Credentials })
    .post("/api/auth/reset", ({ body, request, server }) => auth.reset(body, requestAddress(ctx.config.trustProxy, server, request), userAgent(request)), {
      body: t.Object({ code: t.String({ minLength: 1, maxLength: 128 }), newPassword: t.String({ maxLength: 1024 }) }),
    })
    .post("/api/auth/refresh", ({ body }) => auth.refresh(body.refreshToken), { body: RefreshBody })
    .post(
      "/api/auth/logout",
      async ({ body, set }) => {
        await auth.logout(body.refreshToken);
        set.status = 204;
      },
      { body: RefreshBody },
    )
    .get("/api/me", async ({ request }) => ({ user: publicUser(await authUser(ctx, request)) }));
}
