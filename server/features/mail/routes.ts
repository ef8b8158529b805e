// Mail routes: your address's state (GET /api/me/email; set with PATCH /api/me {email}, account
// routes), and the two links mails carry, which work without logging in: /mail/confirm and
// /mail/unsubscribe (outside /api/: a mail client's one-click unsubscribe posts a form, RFC 8058).

import { Elysia, t } from "elysia";
import type { Context } from "../../context";
import { authUser } from "../auth/guard";
import type { Mail } from "./service";

const CODE = t.Object({ code: t.Optional(t.String({ maxLength: 200 })) });

function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body style="font-family:system-ui;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1>${title}</h1>${body}</body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" } });
}

export function mailRoutes(ctx: Context, mail: Mail) {
  return new Elysia({ name: "mail-routes" })
    .get("/api/me/email", async ({ request }) => mail.status(await authUser(ctx, request)))
    .get("/mail/confirm", async ({ query }) =>
      (await mail.confirm(query.code ?? ""))
        ? page("Address confirmed", "<p>Parley will mail you what you miss while you are away.</p>")
        : page("Link not valid", "<p>This confirmation link is unknown, used or expired. Give your address again in your account settings.</p>", 404),
      { query: CODE },
    )
    // A GET only shows the button: link scanners that open every link in a mail unsubscribe nobody.
    .get("/mail/unsubscribe", ({ query }) =>
      page("Unsubscribe", `<form method="post" action="/mail/unsubscribe?code=${encodeURIComponent(query.code ?? "")}"><p>Stop mails about what you missed on Parley?</p><button type="submit">Unsubscribe</button></form>`),
      { query: CODE },
    )
    .post("/mail/unsubscribe", async ({ query }) =>
      (await mail.unsubscribe(query.code ?? ""))
        ? page("Unsubscribed", "<p>You will get no more of these mails. Give your address again in your account settings to get them back.</p>")
        : page("Link not valid", `<p>This unsubscribe link is not known${query.code ? "" : " (no code)"}.</p>`, 404),
      { query: CODE, parse: "none" },
    );
}

