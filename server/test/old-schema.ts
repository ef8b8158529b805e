// A database made by earlier migrations and holding rows, then migrated by today's store: the
// check of a migration that must apply onto existing data, on either store.

import { createClient } from "@libsql/client";
import { SQL } from "bun";
import { join } from "node:path";
import { createLibsqlStore } from "../adapters/store/libsql";
import { createPostgresStore } from "../adapters/store/postgres";
import type { Store } from "../ports/store";
import { pgDatabase } from "./cluster";
import { tempDir } from "./harness";

type Migration = { tag: string; sql: string };

/** The migrations before the first one `isNew` picks (throws when none is picked: the test would check nothing). */
export function migrationsBefore<T extends { tag: string; sql: string }>(ms: readonly T[], isNew: (m: T) => boolean): T[] {
  const at = ms.findIndex(isNew);
  if (at <= 0) throw new Error("no earlier migrations before the one under test");
  return ms.slice(0, at);
}

/** libSQL: `old` applied by hand as the store records them, `rows` inserted, then today's migrate and `check`. */
export async function migrateLibsqlWithData(old: readonly Migration[], rows: string[], check: (s: Store) => Promise<void>) {
  const url = "file:" + join(tempDir(), "old.db");
  const c = createClient({ url });
  await c.execute("CREATE TABLE parley_migrations (tag TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)");
  for (const m of old) {
    const stmts = m.sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean);
    await c.batch([...stmts, { sql: "INSERT INTO parley_migrations VALUES (?, ?)", args: [m.tag, 1] }], "write");
  }
  await c.batch(rows, "write");
  c.close();
  const store = await createLibsqlStore(url);
  try {
    await store.migrate();
    await check(store);
  } finally {
    await store.close();
  }
}

/** PostgreSQL, in a database of its own: a store at `old` migrates it, `rows` go in, then today's migrate and `check`. */
export async function migratePostgresWithData(old: readonly Migration[], rows: string[], check: (s: Store) => Promise<void>, prefix: string) {
  const db = await pgDatabase(prefix);
  try {
    const before = await createPostgresStore(db.url + "?max=2", { migrations: old });
    await before.migrate();
    await before.close();
    const sql = new SQL({ url: db.url, max: 1 });
    for (const q of rows) await sql.unsafe(q);
    await sql.close();
    const store = await createPostgresStore(db.url + "?max=2");
    try {
      await store.migrate();
      await check(store);
    } finally {
      await store.close();
    }
  } finally {
    await db.drop();
  }
}
