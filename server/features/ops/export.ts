// `parley export DIR`: everything a server holds that outlives a login, as JSONL files plus the upload and avatar bytes (import.ts reads it back).

import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { getTableName } from "drizzle-orm";
import type { Config } from "../../config";
import { createStore } from "../../adapters/store";
import { createBlobs } from "../../adapters/blobs";
import { createLogger } from "../../runtime";
import { leases, passwordResets, refreshTokens, serverSecrets, sessions, uploadBlobs, uploads, users } from "../../db/schema";
import { VAPID_KEYS } from "../push/vapid";
import { openDb, type Row } from "./migrate-store-db";
import { databaseUrl } from "./migrate-store";
import { appliedMigrations } from "./restore";
import { MIGRATIONS } from "../../db/migrations.gen";
import { MIGRATIONS as PG_MIGRATIONS } from "../../db/migrations-pg.gen";
import { isPostgresUrl } from "../../adapters/store";

export const EXPORT_FORMAT = "parley-export";
export const EXPORT_VERSION = 1;
export const MANIFEST = "manifest.json";
/** Upload and avatar bytes, one file per blob id. */
export const BLOB_DIR = "blobs";

/**
 * Tables left out, and why (docs/operations.md repeats this): logins end with a move — the new server
 * signs with its own key, so sessions and refresh tokens would name tokens nobody holds; reset codes
 * are short-lived one-time secrets; the bytes of upload_blobs go as files (BLOB_DIR) whatever the
 * source keeps them in; server_secrets hold the token key (not carried) and the Web Push key pair
 * (carried as vapid.json, so push subscriptions keep working); leases are who runs a background job now.
 */
export const NOT_EXPORTED = new Set<string>([refreshTokens, sessions, passwordResets, serverSecrets, uploadBlobs, leases].map((t) => getTableName(t)));

export interface Manifest {
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  /** Table name → rows in <table>.jsonl, in the order import writes them (referenced tables first). */
  tables: Record<string, number>;
  /** Blob ids whose bytes are in BLOB_DIR. */
  blobs: number;
  /** Blob ids the database names but whose bytes were missing at the source. */
  missingBlobs: string[];
  vapid: boolean;
}

const PAGE_ROWS = 1_000;

/** A JSON value of a row: binary columns exist only in upload_blobs, which is not exported. */
function jsonRow(table: string, r: Row): Row {
  for (const [k, v] of Object.entries(r)) if (v instanceof Uint8Array) throw new Error(`${table}.${k} holds bytes: the export format has no place for them`);
  return r;
}

/**
 * Reads one snapshot of the configured store (a running server may keep writing: the rows are those
 * of one moment) and writes DIR, which must be empty or absent. Returns the manifest.
 */
export async function exportData(config: Config, dir: string, print: (l: string) => void = () => {}): Promise<Manifest> {
  const out = resolve(dir);
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} is not empty: export writes into a new or empty directory`);
  mkdirSync(join(out, BLOB_DIR), { recursive: true, mode: 0o700 });
  const url = databaseUrl(config.databaseUrl);
  const store = await createStore(url);
  const db = openDb(url);
  const blobIds: string[] = [];
  const tables: Record<string, number> = {};
  let sharedVapid: string | undefined;
  try {
    await sameSchema(url); // export only reads: it never migrates a database a running server may be using
    await db.snapshot(async (r) => {
      for (const t of db.tables) {
        if (t.name === getTableName(serverSecrets)) {
          for await (const page of r.pages(t, PAGE_ROWS)) for (const s of page) if (s.name === VAPID_KEYS.shared) sharedVapid = s.value as string;
        }
        if (NOT_EXPORTED.has(t.name)) continue;
        const file = await open(join(out, `${t.name}.jsonl`), "wx", 0o600);
        let n = 0;
        try {
          for await (const page of r.pages(t, PAGE_ROWS)) {
            await file.write(page.map((row) => JSON.stringify(jsonRow(t.name, row)) + "\n").join(""));
            n += page.length;
            if (t.name === getTableName(uploads)) for (const u of page) if (u.deletedAt === null) blobIds.push(u.id as string);
            if (t.name === getTableName(users)) for (const u of page) if (u.avatarId) blobIds.push(u.avatarId as string);
          }
          await file.sync();
        } finally {
          await file.close();
        }
        tables[t.name] = n;
        print(`  ${t.name.padEnd(20)} ${n.toLocaleString("en-US").padStart(11)} rows`);
      }
    });
    const blobs = createBlobs(config, store, createLogger("error"));
    const missingBlobs: string[] = [];
    let written = 0;
    for (const id of blobIds) {
      const b = await blobs.get(id);
      if (!b) {
        missingBlobs.push(id);
        continue;
      }
      writeFileSync(join(out, BLOB_DIR, id), new Uint8Array(await b.arrayBuffer()), { mode: 0o600, flag: "wx" });
      written++;
    }
    print(`  ${"blobs".padEnd(20)} ${written.toLocaleString("en-US").padStart(11)} files${missingBlobs.length ? ` (${missingBlobs.length} missing at the source)` : ""}`);
    // A cluster's pair is the shared secret; a single node's is <data>/vapid.json.
    const vapidFile = Bun.file(join(config.dataDir, VAPID_KEYS.file));
    const vapid = sharedVapid ?? ((await vapidFile.exists()) ? (await vapidFile.text()).trim() : undefined);
    if (vapid) writeFileSync(join(out, VAPID_KEYS.file), vapid + "\n", { mode: 0o600, flag: "wx" });
    const manifest: Manifest = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: new Date().toISOString(), tables, blobs: written, missingBlobs, vapid: vapid !== undefined };
    // Written last: a directory without a manifest is an export that did not finish.
    writeFileSync(join(out, MANIFEST), JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    return manifest;
  } finally {
    await db.close();
    await store.close();
  }
}

/** The rows are read by this binary's schema: the database must be at exactly that schema. */
async function sameSchema(url: string): Promise<void> {
  const bundled = (isPostgresUrl(url) ? PG_MIGRATIONS : MIGRATIONS).map((m) => m.tag);
  const applied = await appliedMigrations(url);
  const unknown = applied.filter((t) => !bundled.includes(t));
  if (unknown.length) throw new Error(`database schema is newer than this parley binary (unknown migration ${unknown[0]}); export with the newer binary`);
  const pending = bundled.filter((t) => !applied.includes(t));
  if (pending.length) throw new Error(`the database is at an older schema (${pending.length} migration(s) pending): run parley migrate (or start the server) first`);
}
