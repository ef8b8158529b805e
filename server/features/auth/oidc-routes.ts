// HTTP routes for single sign-on: whether it is on, the redirect to the provider, and the callback.
//
// The callback hands the web client its session in the URL fragment (`/#sso=<token>`): a refresh token
// that lives two minutes and works once (the client trades it at POST /api/auth/refresh right away, and a
// second use ends the session as any refresh-token reuse does). A fragment is never sent to a server nor
// put in a Referer, so the token reaches neither server logs nor third parties; no access token is in a URL.

import { Elysia, t } from "elysia";
import { AppError } from "../../errors";
import type { Context } from "../../context";
import { requestAddress } from "./client-address";
import { CALLBACK_PATH, OIDC_COOKIE, type Oidc } from "./oidc";
import type { Auth } from "./service";

const NO_STORE = { "cache-control": "no-store", "referrer-policy": "no-referrer" };

function cookieValue(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function loginCookie(value: string, secure: boolean, maxAgeSec: number): string {
  // Lax: the provider brings the browser back with a top-level GET, which Lax cookies accompany.
  return `${OIDC_COOKIE}=${value}; Path=${CALLBACK_PATH}; Max-Age=${maxAgeSec}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

export function oidcRoutes(ctx: Context, auth: Auth, oidc: Oidc | undefined) {
  const secure = (url: string) => url.startsWith("https:");
  const enabled = () => {
    if (!oidc) throw new AppError("not_found", "single sign-on is not configured");
    return oidc;
  };
  return new Elysia({ name: "oidc-routes" })
    .get("/api/auth/oidc", () => (oidc ? { enabled: true, name: oidc.name } : { enabled: false }))
    .get(
      "/api/auth/oidc/start",
      async ({ query, request, set }) => {
        const sso = enabled();
        const origin = new URL(request.url).origin;
        try {
          const { location, cookie } = await sso.start(origin, query.invite);
          set.status = 302;
          Object.assign(set.headers, NO_STORE, { location, "set-cookie": loginCookie(cookie, secure(ctx.config.publicUrl || origin), 600) });
        } catch (e) {
          // A person clicked a button: back to the sign-in screen with a message rather than a JSON page.
          if (!(e instanceof AppError)) throw e;
          set.status = 303;
          Object.assign(set.headers, NO_STORE, { location: "/#sso_error=" + e.code });
        }
      },
      { query: t.Object({ invite: t.Optional(t.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9_-]+$" })) }) },
    )
    .get(CALLBACK_PATH, async ({ request, server, set }) => {
      const sso = enabled();
      const url = new URL(request.url);
      let fragment: string;
      try {
        if (url.search.length > 4096) throw new AppError("invalid_request", "callback too long");
        const user = await sso.finish(url, cookieValue(request, OIDC_COOKIE));
        const session = await auth.ssoSession(user, { ip: requestAddress(ctx.config.trustProxy, server, request), userAgent: request.headers.get("user-agent") ?? "" });
        fragment = "sso=" + encodeURIComponent(session.refreshToken);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        fragment = "sso_error=" + e.code;
      }
      set.status = 303;
      Object.assign(set.headers, NO_STORE, { location: "/#" + fragment, "set-cookie": loginCookie("", secure(ctx.config.publicUrl || url.origin), 0) });
    });
}
