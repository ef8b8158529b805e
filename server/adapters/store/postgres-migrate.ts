// PostgreSQL store, migrations: the bundled drizzle-pg/ migrations, applied once however many nodes start together.

import type { SQL } from "bun";
import { assertKnownMigrations } from "../../db/schema-version";

/** Any fixed number: every Parley node takes the same advisory lock (per database) around its migration. */
const MIGRATION_LOCK_KEY = 0x7061726c6579; // "parley"

/**
 * Applies what is missing, each migration in its own transaction with its row in parley_migrations.
 * The whole run holds a session-level advisory lock on one reserved connection: a node that starts
 * while another migrates waits, then finds everything applied.
 */
export async function migratePostgres(client: SQL, migrations: readonly { tag: string; sql: string }[]): Promise<void> {
  const conn = await client.reserve();
  try {
    await conn.unsafe("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await conn.unsafe("CREATE TABLE IF NOT EXISTS parley_migrations (tag text PRIMARY KEY, applied_at bigint NOT NULL)");
      const done = new Set<string>((await conn.unsafe("SELECT tag FROM parley_migrations")).map((r: { tag: string }) => r.tag));
      assertKnownMigrations(done, migrations);
      for (const m of migrations) {
        if (done.has(m.tag)) continue;
        const stmts = m.sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean);
        await conn.begin(async (tx) => {
          for (const s of stmts) await tx.unsafe(s);
          await tx.unsafe("INSERT INTO parley_migrations (tag, applied_at) VALUES ($1, $2)", [m.tag, Date.now()]);
        });
      }
    } finally {
      await conn.unsafe("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await conn.release();
  }
}
