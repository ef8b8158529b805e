// HTTP routes for invites: server admins create, list and revoke; anyone may look at a usable code.

import { Elysia, t } from "elysia";
import type { Context } from "../../context";
import { authUser } from "../auth/guard";
import type { Invites } from "./service";

const Code = t.String({ minLength: 1, maxLength: 128 });

export function inviteRoutes(ctx: Context, invites: Invites) {
  return new Elysia({ name: "invite-routes" })
    .post(
      "/api/invites",
      async ({ request, body, set }) => {
        const invite = await invites.create(await authUser(ctx, request), body);
        set.status = 201;
        return { invite };
      },
      {
        body: t.Object({
          maxUses: t.Optional(t.Integer()),
          expiresInSec: t.Optional(t.Integer()),
          rooms: t.Optional(t.Array(t.String({ maxLength: 64 }), { maxItems: 100 })),
        }),
      },
    )
    .get("/api/invites", async ({ request }) => ({ invites: await invites.list(await authUser(ctx, request)) }))
    .delete(
      "/api/invites/:code",
      async ({ request, params, set }) => {
        await invites.revoke(await authUser(ctx, request), params.code);
        set.status = 204;
      },
      { params: t.Object({ code: Code }) },
    )
    .get("/api/invites/:code", async ({ params }) => ({ invite: await invites.preview(params.code) }), { params: t.Object({ code: Code }) });
}
