// `parley restore FILE` (the inverse of `parley backup`) and `parley migrate`: a data directory's database replaced by a backup (or an empty PostgreSQL database filled from it), and the schema brought up to date.

import Database from "libsql";
import { copyFileSync, constants, existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getTableName } from "drizzle-orm";
import type { Config } from "../../config";
import { createStore, isPostgresUrl } from "../../adapters/store";
import { localPath } from "../../adapters/store/libsql-connection";
import { MIGRATIONS } from "../../db/migrations.gen";
import { MIGRATIONS as PG_MIGRATIONS } from "../../db/migrations-pg.gen";
import { assertKnownMigrations } from "../../db/schema-version";
import { uploadBlobs, uploads } from "../../db/schema";
import { migrateStore, redact } from "./migrate-store";

const SIDE_FILES = ["-wal", "-shm"];

/**
 * Whether another connection (a running server, an admin command) has the libSQL file open: leaving
 * WAL mode needs every other connection gone, so SQLite answers "database is locked" while one is.
 * When none is, the file is left in rollback-journal mode with its WAL checkpointed into it: the
 * file alone then holds everything (a server's start turns WAL on again).
 */
export function fileInUse(path: string): boolean {
  const db = new Database(path);
  try {
    db.exec("PRAGMA busy_timeout=1000");
    db.prepare("PRAGMA journal_mode=DELETE").get();
    return false;
  } catch (e) {
    if (/locked|busy/i.test(String(e))) return true;
    throw e;
  } finally {
    db.close();
  }
}

/** The backup's own checks: a SQLite file that passes integrity_check and whose schema this binary knows. */
function checkBackup(path: string): void {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true });
  } catch (e) {
    throw new Error(`${path} cannot be opened as a database: ${(e as Error).message}`);
  }
  try {
    const rows = db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== "ok");
    if (problems.length) throw new Error(`${path} fails integrity_check: ${problems.slice(0, 3).join("; ")}`);
    const ledger = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'parley_migrations'").get();
    if (!ledger) throw new Error(`${path} is not a Parley database (no parley_migrations table)`);
    assertKnownMigrations((db.prepare("SELECT tag FROM parley_migrations").all() as { tag: string }[]).map((r) => r.tag), MIGRATIONS);
  } catch (e) {
    if (/file is not a database|malformed/i.test(String(e))) throw new Error(`${path} is not a database file`);
    throw e;
  } finally {
    db.close();
  }
}

/**
 * Puts the backup in place of the configured libSQL file. Refuses while any process has that file open
 * (stop the server first); a database already there is kept beside it as <file>.before-restore-<time>.
 * The copy is checked before it replaces anything and moved into place in one rename. Returns the
 * lines to print.
 */
export async function restore(config: Config, file: string): Promise<string[]> {
  const target = localPath(config.databaseUrl);
  const pg = isPostgresUrl(config.databaseUrl);
  if (target === undefined && !pg) throw new Error("restore replaces a local libSQL file; restore a remote libSQL server with its own tools");
  const source = resolve(file);
  if (!existsSync(source)) throw new Error(`no backup at ${source}`);
  if (source === target) throw new Error("the backup is the database itself");
  checkBackup(source);
  if (target === undefined) return restorePostgres(config.databaseUrl, source);
  const lines: string[] = [];
  if (existsSync(target)) {
    if (fileInUse(target)) throw new Error(`${target} is open in a running server (or another parley command): stop it, then restore`);
    const aside = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(target, aside);
    for (const s of SIDE_FILES) rmSync(target + s, { force: true }); // checkpointed into the file moved aside by fileInUse
    lines.push(`the database that was there is kept as ${aside}`);
  }
  const tmp = `${target}.restoring`;
  rmSync(tmp, { force: true });
  copyFileSync(source, tmp, constants.COPYFILE_EXCL);
  renameSync(tmp, target);
  lines.push(`restored ${source} into ${target}; start the server (its migrations run at start-up)`);
  return lines;
}

/**
 * A backup file copied into an empty PostgreSQL database by migrate-store's copy (the inverse of the
 * PostgreSQL store's backup): every table, upload_blobs with it. The copy works on a temporary copy of
 * the file, so the backup itself is never migrated or changed. A database that holds data is refused.
 */
async function restorePostgres(url: string, source: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "parley-restore-"));
  try {
    const copy = join(dir, "backup.db");
    copyFileSync(source, copy);
    const r = await migrateStore({ from: "file:" + copy, to: url, databaseOnly: true, command: "restore" });
    const rows = (t: string) => r.tables.find((x) => x.table === t)?.rows ?? 0;
    const lines = [`restored ${source} into ${redact(url)}: ${r.rows} rows in ${r.tables.length} tables; start the nodes (their migrations run at start-up)`];
    const blobs = rows(getTableName(uploadBlobs));
    lines.push(`uploads: ${rows(getTableName(uploads))} upload rows, ${blobs} with their bytes in upload_blobs`);
    if (blobs === 0 && rows(getTableName(uploads)) > 0) lines.push("this backup holds no upload bytes (a single node keeps them as files in its <data>/uploads/): move a single node with `parley migrate-store --from <its parley.db>` instead, which takes those files along");
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `parley migrate`: applies the bundled migrations not applied yet (a start does the same) and says how many. */
export async function migrate(config: Config): Promise<string> {
  const store = await createStore(config.databaseUrl);
  try {
    const before = await appliedMigrations(config.databaseUrl);
    await store.migrate();
    const after = await appliedMigrations(config.databaseUrl);
    const bundled = isPostgresUrl(config.databaseUrl) ? PG_MIGRATIONS : MIGRATIONS;
    return `${after.length - before.length} migration(s) applied; the schema is at ${bundled[bundled.length - 1].tag} (${after.length} of ${bundled.length})`;
  } finally {
    await store.close();
  }
}

/** The tags in the database's migration ledger ([] when it has none yet). */
export async function appliedMigrations(url: string): Promise<string[]> {
  if (isPostgresUrl(url)) {
    const sql = new Bun.SQL(url, { max: 1 });
    try {
      const [t] = await sql.unsafe("SELECT to_regclass('parley_migrations') AS t");
      return t.t ? (await sql.unsafe("SELECT tag FROM parley_migrations")).map((r: { tag: string }) => r.tag) : [];
    } finally {
      await sql.close();
    }
  }
  const path = localPath(url);
  if (path === undefined || !existsSync(path)) return [];
  const db = new Database(path, { readonly: true });
  try {
    const has = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'parley_migrations'").get();
    return has ? (db.prepare("SELECT tag FROM parley_migrations").all() as { tag: string }[]).map((r) => r.tag) : [];
  } finally {
    db.close();
  }
}
