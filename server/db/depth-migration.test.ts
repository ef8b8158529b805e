// The 1.2 "conversation depth" migration (delivered marks, the thread index, blocks) applies to a database that already holds data, on both stores.

import { describe, expect, test } from "bun:test";
import { MIGRATIONS } from "./migrations.gen";
import { MIGRATIONS as PG_MIGRATIONS } from "./migrations-pg.gen";
import type { Store } from "../ports/store";
import type { MessageEvent } from "../protocol/types";
import { migrateLibsqlWithData, migratePostgresWithData, migrationsBefore } from "../test/old-schema";

/** The migration that added members.delivered_seq, in each dialect's list. */
const before = <T extends { tag: string; sql: string }>(ms: readonly T[]) => migrationsBefore(ms, (m) => m.sql.includes("delivered_seq"));
const OLD_ROWS = [
  "INSERT INTO users (id, username, display_name, password_hash, is_admin, created_at) VALUES ('u1', 'one', 'One', 'h', true, 5), ('u2', 'two', 'Two', 'h', false, 6)",
  "INSERT INTO rooms (id, name, kind, topic, created_by, created_at, last_seq, last_activity) VALUES ('r1', 'old room', 'public', '', 'u1', 7, 3, 9)",
  "INSERT INTO members (room_id, user_id, role, read_seq, joined_at) VALUES ('r1', 'u1', 'owner', 3, 7), ('r1', 'u2', 'member', 2, 8)",
  `INSERT INTO events (room_id, seq, kind, sender_id, ts, msg_id, client_msg_id, body, data) VALUES
    ('r1', 1, 'member', 'u1', 7, NULL, NULL, NULL, '{"userId":"u1","change":"join"}'),
    ('r1', 2, 'member', 'u2', 8, NULL, NULL, NULL, '{"userId":"u2","change":"join"}'),
    ('r1', 3, 'message', 'u1', 9, 'm1', 'c1', 'from before threads', '{"mentions":["u2"]}')`,
];

/** The old rows read as before, their marks as delivered, and the new parts work on them. */
async function checkMigrated(store: Store) {
  expect(await store.member("r1", "u2")).toMatchObject({ readSeq: 2, deliveredSeq: 2 });
  expect(await store.member("r1", "u1")).toMatchObject({ readSeq: 3, deliveredSeq: 3 });
  const page = (await store.events("r1", { limit: 10 })).events;
  expect(page.map((e) => e.seq)).toEqual([1, 2, 3]);
  expect(page[2]).not.toHaveProperty("thread");
  const [reply] = await store.append([{ room: "r1", kind: "message", sender: "u2", ts: 10, msgId: "m2", clientMsgId: "c2", body: "a reply", data: { threadRoot: 3 } }]);
  expect(reply.event.seq).toBe(4);
  expect(((await store.events("r1", { after: 2, before: 4, limit: 1 })).events[0] as MessageEvent).thread).toEqual({ replies: 1, lastReplyAt: 10, participants: ["u2"] });
  expect((await store.events("r1", { thread: 3, limit: 10 })).events.map((e) => e.seq)).toEqual([3, 4]);
  await store.advanceDelivered([{ roomId: "r1", userId: "u2", seq: 4 }]);
  expect((await store.member("r1", "u2"))!.deliveredSeq).toBe(4);
  await store.setBlock("u1", "u2", true, 11);
  expect(await store.blockersAmong("u2", ["u1"])).toEqual(["u1"]);
}

describe("the conversation-depth migration", () => {
  test("DEPTH-19 libSQL: a database made by the previous migrations, with data, migrates and keeps it", async () => {
    await migrateLibsqlWithData(before(MIGRATIONS), OLD_ROWS, checkMigrated);
  });

  test("DEPTH-20 PostgreSQL: a database made by the previous migrations, with data, migrates and keeps it", async () => {
    await migratePostgresWithData(before(PG_MIGRATIONS), OLD_ROWS, checkMigrated, "parley_depth_");
  }, 60_000);
});
