// HTTP routes for moderation, room settings, notification mute and the member list.

import { Elysia, t } from "elysia";
import type { Context } from "../../context";
import { Name } from "../../protocol/schemas";
import { authUser } from "../auth/guard";
import type { Rooms } from "../rooms/service";
import type { Moderation } from "./service";

export function moderationRoutes(ctx: Context, mod: Moderation, rooms: Rooms) {
  const me = async (request: Request) => (await authUser(ctx, request)).id;
  return new Elysia({ name: "moderation-routes" })
    .get("/api/rooms/:id/members", async ({ request, params }) => ({ members: await rooms.membersOf(await me(request), params.id) }))
    .patch("/api/rooms/:id", async ({ request, params, body }) => ({ room: await mod.update(await me(request), params.id, body) }), {
      body: t.Object({ name: t.Optional(Name({ maxLength: 200 })), topic: t.Optional(t.String({ maxLength: 1000 })), slowModeSec: t.Optional(t.Integer({ minimum: 0 })), messageTtlSec: t.Optional(t.Integer({ minimum: 0 })) }),
    })
    .post(
      "/api/rooms/:id/bans",
      async ({ request, params, body, set }) => {
        await mod.ban(await me(request), params.id, body.userId);
        set.status = 201;
        return {};
      },
      { body: t.Object({ userId: t.String({ maxLength: 64 }) }) },
    )
    .delete("/api/rooms/:id/bans/:userId", async ({ request, params, set }) => {
      await mod.unban(await me(request), params.id, params.userId);
      set.status = 204;
    })
    .post(
      "/api/rooms/:id/members/:userId/mute",
      async ({ request, params, body }) => {
        await mod.mute(await me(request), params.id, params.userId, body.seconds);
        return {};
      },
      { body: t.Object({ seconds: t.Integer({ minimum: 0 }) }) },
    )
    .put(
      "/api/rooms/:id/notifications",
      async ({ request, params, body, set }) => {
        await mod.muteNotifications(await me(request), params.id, body.muted);
        set.status = 204;
      },
      { body: t.Object({ muted: t.Boolean() }) },
    );
}
