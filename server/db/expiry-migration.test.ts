// Migration 0014 (PostgreSQL 0009): the expiry index goes, and each room with a TTL gets a stored mark at the seq
// before its first live message, so the expiry scan does not read the room's tombstones again after the upgrade.

import { describe, expect, test } from "bun:test";
import { MIGRATIONS } from "./migrations.gen";
import { MIGRATIONS as PG_MIGRATIONS } from "./migrations-pg.gen";
import type { Store } from "../ports/store";
import { migrateLibsqlWithData, migratePostgresWithData, migrationsBefore } from "../test/old-schema";

const before = <T extends { tag: string; sql: string }>(ms: readonly T[]) => migrationsBefore(ms, (m) => m.sql.includes("expiry_marks"));
const message = (room: string, seq: number, deleted: boolean) =>
  `('${room}', ${seq}, 'message', 'u1', ${seq}, 'm${room}${seq}', NULL, ${deleted ? "NULL" : `'text ${seq}'`}, NULL, ${deleted ? seq + 100 : "NULL"})`;
const OLD_ROWS = [
  "INSERT INTO users (id, username, display_name, password_hash, is_admin, created_at) VALUES ('u1', 'one', 'One', 'h', true, 5)",
  // r1: a TTL, expired (deleted) messages 1-3, live from 4; r2: a TTL, every message deleted; r3: no TTL.
  `INSERT INTO rooms (id, name, kind, topic, created_by, created_at, last_seq, last_activity, message_ttl_sec) VALUES
    ('r1', 'one', 'public', '', 'u1', 1, 5, 5, 60), ('r2', 'two', 'public', '', 'u1', 1, 2, 2, 3600), ('r3', 'three', 'public', '', 'u1', 1, 2, 2, 0)`,
  `INSERT INTO events (room_id, seq, kind, sender_id, ts, msg_id, client_msg_id, body, data, deleted_at) VALUES
    ${[message("r1", 1, true), message("r1", 2, true), message("r1", 3, true), message("r1", 4, false), message("r1", 5, false),
      message("r2", 1, true), message("r2", 2, true), message("r3", 1, true), message("r3", 2, false)].join(", ")}`,
];

async function checkMigrated(store: Store) {
  expect(await store.expiryMarks(["r1", "r2", "r3"])).toEqual(new Map([["r1", 3], ["r2", 2]]));
  expect((await store.events("r1", { after: 3, limit: 10 })).events.map((e) => e.seq)).toEqual([4, 5]);
}

describe("the expiry-marks migration", () => {
  test("DEPTH-84 libSQL: rooms with a TTL start at the seq before their first live message (all deleted: their last seq); others get none", async () => {
    await migrateLibsqlWithData(before(MIGRATIONS), OLD_ROWS, checkMigrated);
  });

  test("DEPTH-85 PostgreSQL: the same", async () => {
    await migratePostgresWithData(before(PG_MIGRATIONS), OLD_ROWS, checkMigrated, "parley_expmig_");
  }, 60_000);
});
