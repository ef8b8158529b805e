// Store adapter for libSQL (embedded file by default, or a remote libSQL URL) through drizzle.

import { createClient, type Client } from "@libsql/client";
import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from "drizzle-orm";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import type { BatchItem } from "drizzle-orm/batch";
import { AppError } from "../../errors";
import { MIGRATIONS } from "../../db/migrations.gen";
import * as schema from "../../db/schema";
import { events, idempotencyKeys, members, refreshTokens, rooms, users } from "../../db/schema";
import type { Appended, MemberRow, MyRoomRow, NewEvent, Page, RoomRow, Store, UserRow } from "../../ports/store";
import { eventToWire, rowsChunked } from "./event-rows";

/**
 * The embedded file has exactly one writing process (this one) and one writing caller (the Writer),
 * so the next seq of a room is kept in memory after its first read and committed with the batch.
 * A remote libSQL URL shared by several writers would need the PostgreSQL-style UPDATE … RETURNING.
 */
export async function createLibsqlStore(url: string): Promise<Store> {
  const client: Client = createClient({ url });
  if (url.startsWith("file:")) {
    await client.execute("PRAGMA journal_mode=WAL");
    await client.execute("PRAGMA synchronous=NORMAL");
    await client.execute("PRAGMA busy_timeout=5000");
  }
  const db: LibSQLDatabase<typeof schema> = drizzle(client, { schema });
  const seqOf = new Map<string, number>();

  async function currentSeq(roomId: string): Promise<number> {
    const known = seqOf.get(roomId);
    if (known !== undefined) return known;
    const [r] = await db.select({ s: rooms.lastSeq }).from(rooms).where(eq(rooms.id, roomId));
    return r?.s ?? 0;
  }

  const store: Store = {
    async migrate() {
      await client.execute("CREATE TABLE IF NOT EXISTS parley_migrations (tag TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
      const done = new Set((await client.execute("SELECT tag FROM parley_migrations")).rows.map((r) => String(r.tag)));
      for (const m of MIGRATIONS) {
        if (done.has(m.tag)) continue;
        const stmts = m.sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean);
        await client.batch([...stmts, { sql: "INSERT INTO parley_migrations VALUES (?, ?)", args: [m.tag, Date.now()] }], "write");
      }
    },
    async close() {
      client.close();
    },

    async insertUser(u) {
      try {
        await db.insert(users).values(u);
      } catch (e) {
        if (String((e as Error).message).includes("UNIQUE")) throw new AppError("conflict", "username is taken");
        throw e;
      }
    },
    async userByName(username) {
      return (await db.select().from(users).where(eq(users.username, username)))[0];
    },
    async userById(id) {
      return (await db.select().from(users).where(eq(users.id, id)))[0];
    },
    async usersByIds(ids) {
      if (ids.length === 0) return [];
      return db.select().from(users).where(inArray(users.id, ids));
    },
    async countUsers() {
      const [r] = await db.select({ n: sql<number>`count(*)` }).from(users);
      return Number(r.n);
    },

    async insertRefresh(r) {
      await db.insert(refreshTokens).values(r);
    },
    async refreshById(id) {
      return (await db.select().from(refreshTokens).where(eq(refreshTokens.id, id)))[0];
    },
    async useRefresh(id, at) {
      const r = await db
        .update(refreshTokens)
        .set({ usedAt: at })
        .where(and(eq(refreshTokens.id, id), sql`${refreshTokens.usedAt} IS NULL`))
        .returning({ id: refreshTokens.id });
      return r.length === 1;
    },
    async revokeFamily(familyId, at) {
      await db.update(refreshTokens).set({ revokedAt: at }).where(and(eq(refreshTokens.familyId, familyId), sql`${refreshTokens.revokedAt} IS NULL`));
    },

    async roomById(id) {
      return (await db.select().from(rooms).where(eq(rooms.id, id)))[0] as RoomRow | undefined;
    },
    async roomByDmKey(key) {
      return (await db.select().from(rooms).where(eq(rooms.dmKey, key)))[0] as RoomRow | undefined;
    },
    async publicRooms(limit) {
      const rows = await db
        .select({ room: rooms, memberCount: sql<number>`(SELECT count(*) FROM members m WHERE m.room_id = ${rooms.id})` })
        .from(rooms)
        .where(eq(rooms.kind, "public"))
        .orderBy(desc(rooms.lastActivity))
        .limit(limit);
      return rows.map((r) => ({ ...(r.room as RoomRow), memberCount: Number(r.memberCount) }));
    },
    async roomsOf(userId) {
      // Unread is computed from the log and the read mark every time: it cannot drift.
      const rows = await db
        .select({
          room: rooms,
          role: members.role,
          readSeq: members.readSeq,
          unread: sql<number>`(SELECT count(*) FROM events e WHERE e.room_id = ${rooms.id} AND e.seq > ${members.readSeq}
            AND e.kind = 'message' AND e.sender_id <> ${members.userId} AND e.deleted_at IS NULL)`,
        })
        .from(members)
        .innerJoin(rooms, eq(rooms.id, members.roomId))
        .where(eq(members.userId, userId))
        .orderBy(desc(rooms.lastActivity));
      return rows.map((r) => ({ ...(r.room as RoomRow), role: r.role, readSeq: r.readSeq, unread: Number(r.unread) }) as MyRoomRow);
    },
    async member(roomId, userId) {
      const [m] = await db
        .select({ roomId: members.roomId, userId: members.userId, role: members.role, readSeq: members.readSeq })
        .from(members)
        .where(and(eq(members.roomId, roomId), eq(members.userId, userId)));
      return m as MemberRow | undefined;
    },
    async members(roomId) {
      return db
        .select({ roomId: members.roomId, userId: members.userId, role: members.role, readSeq: members.readSeq })
        .from(members)
        .where(eq(members.roomId, roomId));
    },
    async advanceRead(roomId, userId, seq) {
      const [r] = await db
        .update(members)
        .set({ readSeq: sql`max(${members.readSeq}, ${seq})` })
        .where(and(eq(members.roomId, roomId), eq(members.userId, userId)))
        .returning({ readSeq: members.readSeq });
      return r?.readSeq ?? 0;
    },

    async append(batch) {
      const results: Appended[] = new Array(batch.length);
      // 1. Idempotency: one lookup for every (sender, clientMsgId) in the batch.
      const keyed = batch.map((e, i) => ({ e, i })).filter((x) => x.e.clientMsgId !== undefined);
      const firstOf = new Map<string, number>(); // key → index of its first new occurrence in this batch
      const repeats: [number, number][] = []; // [index, index of the first occurrence]
      const isRepeat = new Set<number>();
      if (keyed.length > 0) {
        const known = new Map<string, RoomEventRow>();
        for (const chunk of rowsChunked(keyed, 400)) {
          const pairs = sql.join(chunk.map((x) => sql`(${x.e.sender}, ${x.e.clientMsgId})`), sql`, `);
          const rows = await db
            .select({ ev: events, key: idempotencyKeys.clientMsgId, who: idempotencyKeys.senderId })
            .from(idempotencyKeys)
            .innerJoin(events, and(eq(events.roomId, idempotencyKeys.roomId), eq(events.seq, idempotencyKeys.seq)))
            .where(sql`(${idempotencyKeys.senderId}, ${idempotencyKeys.clientMsgId}) IN (VALUES ${pairs})`);
          for (const r of rows) known.set(r.who + "\0" + r.key, r.ev);
        }
        for (const { e, i } of keyed) {
          const k = e.sender + "\0" + e.clientMsgId;
          const hit = known.get(k);
          const first = firstOf.get(k);
          if (hit) results[i] = { event: eventToWire(hit), duplicate: true };
          else if (first !== undefined) { repeats.push([i, first]); isRepeat.add(i); }
          else firstOf.set(k, i);
        }
      }
      // 2. Seqs, in array order, per room.
      const next = new Map<string, number>();
      const rows: RoomEventRow[] = [];
      const effects: BatchItem<"sqlite">[] = [];
      const activity = new Map<string, number>();
      for (let i = 0; i < batch.length; i++) {
        if (results[i] || isRepeat.has(i)) continue;
        const e = batch[i];
        const creates = e.effects?.find((f) => f.type === "room.create");
        const seq = (next.get(e.room) ?? (creates ? 0 : await currentSeq(e.room))) + 1;
        next.set(e.room, seq);
        activity.set(e.room, e.ts);
        const row: RoomEventRow = {
          roomId: e.room, seq, kind: e.kind, senderId: e.sender, ts: e.ts, msgId: e.msgId ?? null,
          clientMsgId: e.clientMsgId ?? null, body: e.body ?? null, replyTo: e.replyTo ?? null,
          data: e.data ? JSON.stringify(e.data) : null, editedAt: null, deletedAt: null,
        };
        rows.push(row);
        results[i] = { event: eventToWire(row), duplicate: false };
        for (const f of e.effects ?? []) {
          if (f.type === "room.create") effects.push(db.insert(rooms).values({ ...f.room, lastSeq: 0 }));
          else if (f.type === "member.add")
            effects.push(
              db.insert(members).values({ roomId: e.room, userId: f.userId, role: f.role, readSeq: seq, joinedAt: e.ts })
                .onConflictDoUpdate({ target: [members.roomId, members.userId], set: { role: f.role } }),
            );
          else if (f.type === "member.remove") effects.push(db.delete(members).where(and(eq(members.roomId, e.room), eq(members.userId, f.userId))));
          else if (f.type === "room.update") {
            const set: Partial<RoomRow> = {};
            if (f.name !== undefined) set.name = f.name;
            if (f.topic !== undefined) set.topic = f.topic;
            effects.push(db.update(rooms).set(set).where(eq(rooms.id, e.room)));
          }
        }
      }
      for (const [i, first] of repeats) results[i] = { event: results[first].event, duplicate: true };
      if (rows.length === 0) return results;
      // 3. One transaction: effects that create rooms first, then the events, keys and room heads.
      const stmts: BatchItem<"sqlite">[] = effects; // room.create effects precede the events that need the room
      for (const chunk of rowsChunked(rows, 500)) stmts.push(db.insert(events).values(chunk));
      const keys = rows.filter((r) => r.clientMsgId !== null).map((r) => ({ senderId: r.senderId, clientMsgId: r.clientMsgId!, roomId: r.roomId, seq: r.seq }));
      for (const chunk of rowsChunked(keys, 500)) stmts.push(db.insert(idempotencyKeys).values(chunk));
      for (const [room, seq] of next) stmts.push(db.update(rooms).set({ lastSeq: seq, lastActivity: activity.get(room)! }).where(eq(rooms.id, room)));
      await db.batch(stmts as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      for (const [room, seq] of next) seqOf.set(room, seq);
      return results;
    },

    async events(roomId, q): Promise<Page> {
      const conds: SQL[] = [eq(events.roomId, roomId)];
      if (q.after !== undefined) {
        conds.push(gt(events.seq, q.after));
        if (q.before !== undefined) conds.push(lt(events.seq, q.before));
        const rows = await db.select().from(events).where(and(...conds)).orderBy(asc(events.seq)).limit(q.limit + 1);
        const hasMore = rows.length > q.limit;
        return { events: rows.slice(0, q.limit).map(eventToWire), hasMore };
      }
      if (q.before !== undefined) conds.push(lt(events.seq, q.before));
      const rows = await db.select().from(events).where(and(...conds)).orderBy(desc(events.seq)).limit(q.limit + 1);
      const hasMore = rows.length > q.limit;
      return { events: rows.slice(0, q.limit).reverse().map(eventToWire), hasMore };
    },
    async lastSeq(roomId) {
      return currentSeq(roomId);
    },
  };
  return store;
}

type RoomEventRow = typeof events.$inferSelect;
