// The 1.1 "running a team" migration applies to a database that already holds data, on both stores.

import { describe, expect, test } from "bun:test";
import { MIGRATIONS } from "./migrations.gen";
import { MIGRATIONS as PG_MIGRATIONS } from "./migrations-pg.gen";
import type { Store } from "../ports/store";
import { migrateLibsqlWithData, migratePostgresWithData, migrationsBefore } from "../test/old-schema";

const TAG = "running_a_team";
const before = <T extends { tag: string; sql: string }>(ms: readonly T[]) => migrationsBefore(ms, (m) => m.tag.endsWith(TAG));
const OLD_USER = "INSERT INTO users (id, username, display_name, password_hash, is_admin, created_at) VALUES ('u1', 'olduser', 'Old User', 'h', true, 5)";
const OLD_TOKEN = "INSERT INTO refresh_tokens (id, family_id, user_id, secret_hash, expires_at) VALUES ('r1', 'f1', 'u1', 'h', 99999999999999)";

/** What a store must show of the old rows after the migration, and that the new tables work. */
async function checkMigrated(store: Store) {
  expect(await store.userById("u1")).toEqual({
    id: "u1", username: "olduser", displayName: "Old User", passwordHash: "h", isAdmin: true, deactivatedAt: null, createdAt: 5, lastSeen: null, avatarId: null,
  });
  expect(await store.countAdmins()).toBe(1);
  // A family from before the sessions table has no session row, and still ends with "every other session".
  expect(await store.endSessions("u1", 10)).toEqual([]);
  expect((await store.refreshById("r1"))!.revokedAt).toBe(10);
  await store.insertInvite({ code: "c", maxUses: 1, uses: 0, expiresAt: 100, rooms: [], createdBy: "u1", createdAt: 1, revokedAt: null });
  expect((await store.consumeInvite("c", 50))?.uses).toBe(1);
}

describe("the running-a-team migration", () => {
  test("TEAM-50 libSQL: a database made by the previous migrations, with data, migrates and keeps it", async () => {
    await migrateLibsqlWithData(before(MIGRATIONS), [OLD_USER, OLD_TOKEN], checkMigrated);
  });

  test("TEAM-51 PostgreSQL: a database made by the previous migrations, with data, migrates and keeps it", async () => {
    await migratePostgresWithData(before(PG_MIGRATIONS), [OLD_USER, OLD_TOKEN], checkMigrated, "parley_team_");
  }, 60_000);
});
