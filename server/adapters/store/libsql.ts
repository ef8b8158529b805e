// Store adapter for libSQL (embedded file by default, or a remote libSQL URL) through drizzle.

import { and, eq, gt, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { closeSync, existsSync, openSync } from "node:fs";
import { AppError } from "../../errors";
import { MIGRATIONS } from "../../db/migrations.gen";
import { assertKnownMigrations } from "../../db/schema-version";
import * as schema from "../../db/schema";
import { expiryMarks, leases, refreshTokens, rooms, serverSecrets, sessions, users } from "../../db/schema";
import type { RoomRow, Store } from "../../ports/store";
import { createLibsqlLog } from "./libsql-log";
import { createLibsqlRooms } from "./libsql-rooms";
import { createLibsqlDepth } from "./libsql-depth";
import { createLibsqlUploads } from "./libsql-uploads";
import { createLibsqlBlobs } from "./libsql-blobs";
import { createLibsqlPush } from "./libsql-push";
import { createLibsqlMail } from "./libsql-mail";
import { createLibsqlIdentities } from "./libsql-identities";
import { openConnection, type Durability } from "./libsql-connection";
import { createLibsqlSearch } from "./libsql-search";
import { createLibsqlAccounts } from "./libsql-accounts";
import { userByIdSql, userRow } from "./rows";

export type Db = LibSQLDatabase<typeof schema>;

/** drizzle wraps the driver's error (DrizzleQueryError: "Failed query: …"), so the constraint is named in a cause. */
function violates(e: unknown, constraint: string): boolean {
  for (let c = e, depth = 0; c instanceof Error && depth < 5; c = c.cause, depth++) if (c.message.includes(constraint)) return true;
  return false;
}

export async function createLibsqlStore(url: string, opts: { durability?: Durability } = {}): Promise<Store> {
  const conn = openConnection(url, opts);
  const client = conn.client;
  const db: Db = drizzle(client, { schema });
  const { committed, close: closeSearch, search, indexing } = createLibsqlSearch(db, conn);
  // By hand (rows.ts): every authenticated request and every hello looks the user up.
  const USER_BY_ID = userByIdSql("sqlite");

  return {
    uploads: createLibsqlUploads(db),
    blobs: createLibsqlBlobs(db),
    push: createLibsqlPush(db),
    mail: createLibsqlMail(db),
    identities: createLibsqlIdentities(db),
    async migrate() {
      await client.execute("CREATE TABLE IF NOT EXISTS parley_migrations (tag TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
      const done = new Set((await client.execute("SELECT tag FROM parley_migrations")).rows.map((r) => String(r.tag)));
      assertKnownMigrations(done, MIGRATIONS);
      for (const m of MIGRATIONS) {
        if (done.has(m.tag)) continue;
        const stmts = m.sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean);
        await client.batch([...stmts, { sql: "INSERT INTO parley_migrations VALUES (?, ?)", args: [m.tag, Date.now()] }], "write");
      }
    },
    async close() {
      await closeSearch();
      await conn.close();
    },
    async sharedSecret(name, generate) {
      const read = async () => (await db.select({ v: serverSecrets.value }).from(serverSecrets).where(eq(serverSecrets.name, name)))[0]?.v;
      const found = await read();
      if (found !== undefined) return found;
      // Whoever inserts first wins; everyone reads the winner's value.
      await db.insert(serverSecrets).values({ name, value: generate(), createdAt: Date.now() }).onConflictDoNothing();
      return (await read())!;
    },
    async takeLease(name, holder, now, ttlMs) {
      // An upsert that updates only a free, expired or own lease: the row comes back only when taken.
      const taken = await db
        .insert(leases)
        .values({ name, holder, expiresAt: now + ttlMs })
        .onConflictDoUpdate({ target: leases.name, set: { holder, expiresAt: now + ttlMs }, setWhere: or(eq(leases.holder, holder), lte(leases.expiresAt, now)) })
        .returning({ holder: leases.holder });
      return taken.length === 1;
    },
    async releaseLease(name, holder) {
      await db.delete(leases).where(and(eq(leases.name, name), eq(leases.holder, holder)));
    },
    async allRooms(q) {
      return (await db.select().from(rooms).where(q.after === undefined ? undefined : gt(rooms.id, q.after)).orderBy(rooms.id).limit(q.limit)) as RoomRow[];
    },
    async expiryMarks(roomIds) {
      if (roomIds.length === 0) return new Map();
      const rows = await db.select().from(expiryMarks).where(inArray(expiryMarks.roomId, roomIds));
      return new Map(rows.map((r) => [r.roomId, r.seq]));
    },
    async setExpiryMark(roomId, seq) {
      await db.insert(expiryMarks).values({ roomId, seq })
        .onConflictDoUpdate({ target: expiryMarks.roomId, set: { seq }, setWhere: lt(expiryMarks.seq, seq) });
    },
    async backup(target) {
      if (!url.startsWith("file:")) throw new Error("backup copies a local database file; back up a remote libSQL server with its own tools");
      if (existsSync(target)) throw new Error(`${target} already exists`);
      // Owner-only like the database it copies (VACUUM INTO takes an empty file, and keeps its mode).
      closeSync(openSync(target, "wx", 0o600));
      // WAL readers do not block the writer: the running server carries on while this reads a snapshot.
      await client.execute({ sql: "VACUUM INTO ?", args: [target] });
    },

    async insertUser(u) {
      try {
        await db.insert(users).values(u);
      } catch (e) {
        if (violates(e, "UNIQUE constraint failed: users.username")) throw new AppError("conflict", "username is taken");
        throw e;
      }
    },
    async userByName(username) {
      return (await db.select().from(users).where(eq(users.username, username)))[0];
    },
    async userById(id) {
      const [r] = await conn.all(USER_BY_ID, [id]);
      return r && userRow(r);
    },
    async usersByIds(ids) {
      return ids.length === 0 ? [] : db.select().from(users).where(inArray(users.id, ids));
    },
    async usersByNames(names) {
      return names.length === 0 ? [] : db.select().from(users).where(inArray(users.username, names));
    },
    async countUsers() {
      const [r] = await db.select({ n: sql<number>`count(*)` }).from(users);
      return Number(r.n);
    },
    async deactivateUser(id, at) {
      await db.batch([
        db.update(users).set({ deactivatedAt: at }).where(eq(users.id, id)),
        db.update(refreshTokens).set({ revokedAt: at }).where(and(eq(refreshTokens.userId, id), isNull(refreshTokens.revokedAt))),
        db.update(sessions).set({ endedAt: at }).where(and(eq(sessions.userId, id), isNull(sessions.endedAt))),
      ]);
    },
    async setLastSeen(seen) {
      if (seen.size === 0) return;
      // One JSON parameter (no limit on bound variables) joined by primary key: linear in the users
      // (a correlated lookup in a VALUES list was quadratic: 1.8 s for 9,500 users going offline at once).
      await db.run(sql`UPDATE users SET last_seen = s.value ->> 1 FROM json_each(${JSON.stringify([...seen])}) AS s WHERE users.id = s.value ->> 0`);
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
        .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.usedAt)))
        .returning({ id: refreshTokens.id });
      return r.length === 1;
    },
    async revokeFamily(familyId, at) {
      await db.update(refreshTokens).set({ revokedAt: at }).where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
    },

    ...createLibsqlAccounts(db),
    ...createLibsqlRooms(db, conn),
    ...createLibsqlDepth(db),
    ...createLibsqlLog(db, conn, committed),
    search,
    indexing,
  };
}
