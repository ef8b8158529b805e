// HTTP routes for rooms, membership, DMs and history.

import { Elysia, t } from "elysia";
import type { Context } from "../../context";
import { Name } from "../../protocol/schemas";
import { authUser } from "../auth/guard";
import { publicUser } from "../auth/service";
import { pageBody } from "../messages/page-cache";
import type { Messages } from "../messages/service";
import type { Rooms } from "./service";

// Whole numbers only: a fractional value reached the database and failed there (500).
const SeqQuery = t.Optional(t.Integer({ minimum: 0 }));

export function roomRoutes(ctx: Context, rooms: Rooms, messages: Messages) {
  const me = async (request: Request) => publicUser(await authUser(ctx, request));
  return new Elysia({ name: "room-routes" })
    .get("/api/rooms", async ({ request }) => ({ rooms: await rooms.mine((await me(request)).id) }))
    .get("/api/rooms/public", async ({ request }) => {
      await me(request);
      return { rooms: await rooms.listPublic() };
    })
    .post(
      "/api/rooms",
      async ({ request, body, set }) => {
        const room = await rooms.create(await me(request), body);
        set.status = 201;
        return { room };
      },
      { body: t.Object({ name: Name({ maxLength: 200 }), kind: t.Union([t.Literal("public"), t.Literal("private")]), topic: t.Optional(t.String({ maxLength: 1000 })) }) },
    )
    .post("/api/rooms/:id/join", async ({ request, params }) => ({ room: await rooms.join(await me(request), params.id) }))
    .post("/api/rooms/:id/leave", async ({ request, params, set }) => {
      await rooms.leave(await me(request), params.id);
      set.status = 204;
    })
    .post(
      "/api/rooms/:id/members",
      async ({ request, params, body, set }) => {
        await rooms.invite(await me(request), params.id, body.username);
        set.status = 201;
        return {};
      },
      { body: t.Object({ username: t.String({ maxLength: 64 }) }) },
    )
    .delete("/api/rooms/:id/members/:userId", async ({ request, params, set }) => {
      await rooms.kick(await me(request), params.id, params.userId);
      set.status = 204;
    })
    .put(
      "/api/rooms/:id/members/:userId/role",
      async ({ request, params, body }) => {
        await rooms.setRole(await me(request), params.id, params.userId, body.role);
        return {};
      },
      { body: t.Object({ role: t.Union([t.Literal("admin"), t.Literal("member")]) }) },
    )
    .post(
      "/api/rooms/:id/owner",
      async ({ request, params, body }) => {
        await rooms.transferOwnership(await me(request), params.id, body.userId);
        return {};
      },
      { body: t.Object({ userId: t.String({ maxLength: 64 }) }) },
    )
    .post("/api/dm", async ({ request, body }) => ({ room: await rooms.dm(await me(request), body.username) }), {
      body: t.Object({ username: t.String({ maxLength: 64 }) }),
    })
    .get(
      "/api/rooms/:id/messages",
      async ({ request, params, query }) => {
        // The page is JSON already (the page cache keeps it so): sent as it is, not parsed and serialized again.
        const p = await messages.history((await me(request)).id, params.id, query);
        return new Response(pageBody(p), { headers: { "content-type": "application/json" } });
      },
      { query: t.Object({ before: SeqQuery, after: SeqQuery, limit: t.Optional(t.Integer({ minimum: 1 })), thread: SeqQuery }) },
    );
}
