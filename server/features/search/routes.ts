// Search over message bodies: words, "phrases" and filters (query.ts), only rooms the caller is in,
// newest first, paginated, each result with the ranges that matched.

import { Elysia, t } from "elysia";
import { AppError } from "../../errors";
import type { Context } from "../../context";
import { authUser } from "../auth/guard";
import { requireMember } from "../rooms/service";
import { matchRanges, parseQuery } from "./query";

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
      const p = parseQuery(text);
      if (!p.terms.length && p.from === undefined && p.in === undefined && !p.has.length && p.sentFrom === undefined && p.sentUntil === undefined) {
        throw new AppError("invalid_request", "q must not be empty");
      }
      const limit = Math.min(query.limit ?? LIMIT_DEFAULT, LIMIT_MAX);
      const none = { results: [] };
      let from: string | undefined;
      if (p.from !== undefined) {
        const u = await ctx.store.userByName(p.from);
        if (!u) return none;
        from = u.id;
      }
      // in:<name> is any of the caller's rooms with that name, case-insensitively.
      const rooms = p.in === undefined ? undefined : (await ctx.store.roomsOf(me.id)).filter((r) => r.name.toLowerCase() === p.in!.toLowerCase()).map((r) => r.id);
      const [first = "", ...rest] = p.terms;
      const hits = await ctx.store.search(me.id, {
        text: first, terms: rest, room: query.room, rooms, from, has: p.has, sentFrom: p.sentFrom, sentUntil: p.sentUntil, before: query.before, limit: limit + 1,
      });
      const page = hits.slice(0, limit);
      return {
        results: page.map(({ cursor: _, ...h }) => ({ ...h, highlights: matchRanges(h.body, p.terms) })),
        // Pass as `before` for older results; absent on the last page.
        ...(hits.length > limit ? { nextBefore: page[page.length - 1].cursor } : {}),
      };
    },
    { query: t.Object({ q: t.String(), room: t.Optional(t.String({ maxLength: 64 })), before: t.Optional(t.Integer({ minimum: 1 })), limit: t.Optional(t.Integer({ minimum: 1 })) }) },
  );
}
