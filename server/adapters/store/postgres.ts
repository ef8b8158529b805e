// Store adapter for PostgreSQL (clusters: several Parley processes on one database) through Bun.sql and drizzle.

import { SQL } from "bun";
import { closeSync, existsSync, openSync, rmSync } from "node:fs";
import { and, eq, gt, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import { drizzle, type BunSQLDatabase } from "drizzle-orm/bun-sql";
import { AppError } from "../../errors";
import { MIGRATIONS } from "../../db/migrations-pg.gen";
import * as schema from "../../db/schema.pg";
import { expiryMarks, leases, refreshTokens, rooms, serverSecrets, sessions, users } from "../../db/schema.pg";
import type { RoomRow, Store } from "../../ports/store";
import { pgText, sqlState } from "./postgres-effects";
import { createPostgresLog } from "./postgres-log";
import { migratePostgres } from "./postgres-migrate";
import { createPostgresBlobs } from "./postgres-blobs";
import { createPostgresPush } from "./postgres-push";
import { createPostgresMail } from "./postgres-mail";
import { createPostgresIdentities } from "./postgres-identities";
import { createPostgresRooms } from "./postgres-rooms";
import { createPostgresDepth } from "./postgres-depth";
import { createPostgresSearch } from "./postgres-search";
import { createPostgresUploads } from "./postgres-uploads";
import { createPostgresAccounts } from "./postgres-accounts";
import { userByIdSql, userRow } from "./rows";

export type PgDb = BunSQLDatabase<typeof schema>;

const USER_BY_ID = userByIdSql("pg");

export interface PostgresOptions {
  /** Migrations to apply; the bundled ones by default (tests pass others to play an older binary). */
  migrations?: readonly { tag: string; sql: string }[];
}

/**
 * A connection pool; nothing connects before the first query, which opens all of it: `?max=N` in the
 * URL sizes it (Bun.sql's default is 10 per process; mind PostgreSQL's max_connections across nodes).
 */
export async function createPostgresStore(url: string, opts: PostgresOptions = {}): Promise<Store> {
  const client = new SQL(url);
  const db: PgDb = drizzle({ client, schema });

  return {
    uploads: createPostgresUploads(db),
    blobs: createPostgresBlobs(db),
    push: createPostgresPush(db),
    mail: createPostgresMail(db),
    identities: createPostgresIdentities(db),
    async migrate() {
      await migratePostgres(client, opts.migrations ?? MIGRATIONS);
    },
    async close() {
      await client.close();
    },
    async sharedSecret(name, generate) {
      const read = async () => (await db.select({ v: serverSecrets.value }).from(serverSecrets).where(eq(serverSecrets.name, name)))[0]?.v;
      const found = await read();
      if (found !== undefined) return found;
      // Nodes starting together all insert; the first commit wins and everyone reads its value.
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
      // The copy migrate-store makes, into a new libSQL file: every table (upload_blobs, so every
      // upload's bytes, included) read in one REPEATABLE READ snapshot while the nodes keep serving.
      if (existsSync(target)) throw new Error(`${target} already exists`);
      closeSync(openSync(target, "wx", 0o600)); // owner-only, like a libSQL backup
      try {
        const { migrateStore } = await import("../../features/ops/migrate-store"); // loaded only by this command
        await migrateStore({ from: url, to: "file:" + target, databaseOnly: true });
      } catch (e) {
        rmSync(target, { force: true });
        throw e;
      }
    },

    async insertUser(u) {
      try {
        await db.insert(users).values({ ...u, username: pgText(u.username), displayName: pgText(u.displayName) });
      } catch (e) {
        if (sqlState(e) === "23505") throw new AppError("conflict", "username is taken");
        throw e;
      }
    },
    async userByName(username) {
      return (await db.select().from(users).where(eq(users.username, pgText(username))))[0];
    },
    async userById(id) {
      // Every authenticated request: by hand (rows.ts).
      const [r] = await client.unsafe(USER_BY_ID, [id]);
      return r && userRow(r);
    },
    async usersByIds(ids) {
      return ids.length === 0 ? [] : db.select().from(users).where(inArray(users.id, ids));
    },
    async usersByNames(names) {
      return names.length === 0 ? [] : db.select().from(users).where(inArray(users.username, names.map(pgText)));
    },
    async countUsers() {
      const [r] = await db.select({ n: sql<string>`count(*)` }).from(users);
      return Number(r.n);
    },
    async deactivateUser(id, at) {
      await db.transaction(async (tx) => {
        await tx.update(users).set({ deactivatedAt: at }).where(eq(users.id, id));
        await tx.update(refreshTokens).set({ revokedAt: at }).where(and(eq(refreshTokens.userId, id), isNull(refreshTokens.revokedAt)));
        await tx.update(sessions).set({ endedAt: at }).where(and(eq(sessions.userId, id), isNull(sessions.endedAt)));
      });
    },
    async setLastSeen(seen) {
      if (seen.size === 0) return;
      await client.unsafe("UPDATE users SET last_seen = v.at FROM unnest($1::text[], $2::bigint[]) AS v(id, at) WHERE users.id = v.id", [
        [...seen.keys()],
        [...seen.values()],
      ]);
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

    ...createPostgresAccounts(db),
    ...createPostgresRooms(db, client),
    ...createPostgresDepth(client),
    ...createPostgresLog(db, client),
    ...createPostgresSearch(client),
  };
}
