// Search over message bodies (FTS5 trigram): only rooms the caller is in, newest first, paginated.

import { Elysia, t } from "elysia";
import { AppError } from "../../errors";
import type { Context } from "../../context";
import { authUser } from "../auth/guard";
import { requireMember } from "../rooms/service";

const QUERY_MAX = 200;
const LIMIT_DEFAULT = 20;
const LIMIT_MAX = 50;

export function searchRoutes(ctx: Context) {
  return new Elysia({ name: "search-routes" }).get(
    "/api/search",
    async ({ request, query }) => {
      const me = await authUser(ctx, request);
      const text = query.q.trim();
      if (!text) throw new AppError("invalid_request", "q must not be empty");
      if (text.length > QUERY_MAX) throw new AppError("invalid_request", `q must be at most ${QUERY_MAX} characters`);
      if (query.room !== undefined) await requireMember(ctx, query.room, me.id);
      const limit = Math.min(query.limit ?? LIMIT_DEFAULT, LIMIT_MAX);
      const hits = await ctx.store.search(me.id, { text, room: query.room, before: query.before, limit: limit + 1 });
      const page = hits.slice(0, limit);
      return {
        results: page.map(({ cursor: _, ...h }) => h),
        // Pass as `before` for older results; absent on the last page.
        ...(hits.length > limit ? { nextBefore: page[page.length - 1].cursor } : {}),
      };
    },
    { query: t.Object({ q: t.String(), room: t.Optional(t.String({ maxLength: 64 })), before: t.Optional(t.Integer({ minimum: 1 })), limit: t.Optional(t.Integer({ minimum: 1 })) }) },
  );
}
