// `parley migrate-store --from <url> --to <url>`: copies a whole Parley database into an empty one (libSQL → PostgreSQL to scale out; any direction works).

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { getTableName } from "drizzle-orm";
import { createStore } from "../../adapters/store";
import { localPath } from "../../adapters/store/libsql-connection";
import { leases, rooms, serverSecrets, uploadBlobs, uploads, users } from "../../db/schema";
import type { Store } from "../../ports/store";
import { JWT_SECRET } from "../auth/secret";
import { VAPID_KEYS } from "../push/vapid";
import { dialectOf, openDb, type Db, type Reader, type Row, type SchemaTable } from "./migrate-store-db";

export interface MigrateOptions {
  from: string;
  to: string;
  /**
   * A single node's upload files (default: uploads/ beside a `file:` source): put into the target's
   * blobs when the target is PostgreSQL (a cluster's nodes read uploads from the database).
   */
  uploadsDir?: string;
  /**
   * Copy the database alone, nothing from beside a `file:` source (no uploads/ files, no key files):
   * the source is a backup file (`parley backup`/`restore` on PostgreSQL), whose uploads are its upload_blobs rows.
   */
  databaseOnly?: boolean;
  /** The command named when the target is refused (default migrate-store). */
  command?: string;
  /** Rows per page, and per transaction on the target. */
  pageRows?: number;
  /** Receives the progress and summary lines. */
  print?: (line: string) => void;
}

export interface TableCopy {
  table: string;
  rows: number;
  seconds: number;
}

export interface MigrateResult {
  tables: TableCopy[];
  rows: number;
  seconds: number;
  /** Rows of server_secrets the target held (keys of nodes started on the empty database), replaced by the source's. */
  replacedSecrets: number;
  /** Key files of a single node stored as the target's shared secrets (their shared names). */
  secrets: string[];
  uploads?: { dir: string; files: number; bytes: number; intoBlobs: boolean; missing: string[] };
}

const PAGE_ROWS = 1_000;
const PROGRESS_EVERY_MS = 5_000;
const MAX_ERROR_CHARS = 500;

/** A bare path means a libSQL file. */
export const databaseUrl = (s: string) => (/^[a-z][a-z0-9+.-]*:/i.test(s) ? s : "file:" + resolve(s));

/** A URL fit for a terminal: no password. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

/** The database's error instead of drizzle's wrapper, whose message repeats the statement and every parameter. */
export function reason(e: unknown): string {
  let x = e;
  for (let depth = 0; x instanceof Error && x.message.startsWith("Failed query") && x.cause instanceof Error && depth < 5; depth++) x = x.cause;
  const msg = x instanceof Error ? x.message : String(x);
  return msg.length > MAX_ERROR_CHARS ? msg.slice(0, MAX_ERROR_CHARS) + "…" : msg;
}

const fmt = (n: number) => n.toLocaleString("en-US");

export async function migrateStore(o: MigrateOptions): Promise<MigrateResult> {
  const print = o.print ?? (() => {});
  const from = databaseUrl(o.from);
  const to = databaseUrl(o.to);
  if (from === to) throw new Error("--from and --to name the same database");
  const srcFile = dialectOf(from) === "sqlite" ? localPath(from) : undefined;
  // libSQL would create an empty file and copy nothing.
  if (srcFile !== undefined && !existsSync(srcFile)) throw new Error(`no database at ${srcFile}`);
  const dataDir = srcFile === undefined || o.databaseOnly ? undefined : dirname(srcFile);
  if (o.uploadsDir !== undefined && !existsSync(o.uploadsDir)) throw new Error(`--uploads: no directory at ${o.uploadsDir}`);
  const started = performance.now();

  // Each store brings its schema up to this binary's: the source's as a start of the server would,
  // the target's from nothing. An older binary refuses a newer database here.
  for (const url of [from, to]) {
    const store = await createStore(url);
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
  }

  const src = openDb(from);
  const dst = openDb(to);
  try {
    const undeclared = await src.undeclaredTables();
    if (undeclared.length) throw new Error(`the source has tables this version does not know (${undeclared.join(", ")}); nothing was copied`);
    const pairs = src.tables.map((s) => {
      const d = dst.tables.find((t) => t.key === s.key);
      if (!d) throw new Error(`the target's schema has no table ${s.name}`); // schema-parity.test.ts keeps this from happening
      return [s, d] as const;
    });
    const replacedSecrets = await refuseNonEmpty(dst, to, o.command ?? "migrate-store", o.command ? "give it a new, empty database" : "point --to at a new, empty database");
    if (replacedSecrets) print(`replacing ${replacedSecrets} server_secrets rows of the target: keys of nodes started on the empty database, which nothing used yet`);

    print(`copying ${redact(from)} → ${redact(to)}`);
    try {
      const { tables, uploadIds } = await src.snapshot((r) => copyTables(r, dst, pairs, o.pageRows ?? PAGE_ROWS, print));
      const rows = tables.reduce((n, t) => n + t.rows, 0);
      const store = await createStore(to);
      let uploadsDone: MigrateResult["uploads"];
      let secrets: string[];
      try {
        uploadsDone = await copyUploads(store, dst, o.uploadsDir ?? (dataDir && join(dataDir, "uploads")), uploadIds, print);
        secrets = dataDir ? await carrySecrets(store, dataDir) : [];
      } finally {
        await store.close();
      }
      const result: MigrateResult = { tables, rows, seconds: (performance.now() - started) / 1000, replacedSecrets, secrets, uploads: uploadsDone };
      summary(result, dst, dataDir).forEach((l) => print(l));
      return result;
    } catch (e) {
      throw new Error(`${reason(e)}; ${await emptyAgain(dst)}`, { cause: e });
    }
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
}

/**
 * Never merges: a target with any row is refused, except server_secrets rows, which nodes started on
 * the empty database create (their keys signed nothing that outlives the copy: there were no users).
 * Those are deleted, and their count returned.
 */
export async function refuseNonEmpty(dst: Db, url: string, command: string, advice: string): Promise<number> {
  const held: string[] = [];
  let secrets = 0;
  for (const t of dst.tables) {
    const n = await dst.count(t);
    if (t.name === getTableName(leases)) continue; // who runs a background job now: not data
    if (t.name === getTableName(serverSecrets)) secrets = n;
    else if (n > 0) held.push(`${fmt(n)} ${t.name}`);
  }
  if (held.length) {
    // Users and rooms first: they are what makes a database live.
    const first: string[] = [getTableName(users), getTableName(rooms)];
    const rank = (s: string) => { const i = first.indexOf(s.split(" ")[1]); return i < 0 ? first.length : i; };
    held.sort((a, b) => rank(a) - rank(b));
    throw new Error(`${redact(url)} already holds data (${held.join(", ")}): ${command} copies into an empty database only and never merges; ${advice}`);
  }
  if (secrets) await dst.deleteAll(dst.tables.find((t) => t.name === getTableName(serverSecrets))!);
  return secrets;
}

/** Table by table in foreign-key order, page by page; the next page is read while the last one is written. */
async function copyTables(r: Reader, dst: Db, pairs: (readonly [SchemaTable, SchemaTable])[], pageRows: number, print: (l: string) => void) {
  const tables: TableCopy[] = [];
  const uploadIds: string[] = [];
  const width = Math.max(...pairs.map(([s]) => s.name.length));
  for (const [s, d] of pairs) {
    const total = await r.count(s);
    const t0 = performance.now();
    let lastPrint = t0;
    let rows = 0;
    let written = 0;
    let pending: Promise<void> = Promise.resolve();
    try {
      for await (const page of r.pages(s, pageRows)) {
        await pending;
        written = rows;
        pending = dst.insert(d, page);
        pending.catch(() => {}); // awaited on the next turn; this only keeps it from counting as unhandled meanwhile
        rows += page.length;
        if (s.name === getTableName(uploads)) for (const u of page as Row[]) if (u.deletedAt === null) uploadIds.push(u.id as string);
        if (performance.now() - lastPrint > PROGRESS_EVERY_MS) {
          lastPrint = performance.now();
          print(`  ${s.name.padEnd(width)}  ${fmt(rows)} / ${fmt(total)} rows…`);
        }
      }
      await pending;
    } catch (e) {
      await pending.catch(() => {});
      throw new Error(`copying ${s.name} (after ${fmt(written)} rows): ${reason(e)}`, { cause: e });
    }
    const copied = await dst.count(d);
    if (copied !== rows || rows !== total) throw new Error(`copying ${s.name}: the source has ${fmt(total)} rows, ${fmt(rows)} were read and the target has ${fmt(copied)}`);
    const seconds = (performance.now() - t0) / 1000;
    tables.push({ table: s.name, rows, seconds });
    print(`  ${s.name.padEnd(width)}  ${fmt(rows).padStart(11)} rows  ${seconds.toFixed(1)} s`);
  }
  return { tables, uploadIds };
}

/**
 * A single node keeps upload bytes as files. A PostgreSQL target keeps them in its blobs (every node
 * of a cluster reads them there): the files of uploads not deleted are put there. Otherwise the files
 * stay files, for the operator to copy beside the new database.
 */
async function copyUploads(store: Store, dst: Db, dir: string | undefined, ids: string[], print: (l: string) => void): Promise<MigrateResult["uploads"]> {
  if (dir === undefined || !existsSync(dir)) return undefined;
  if (dst.dialect !== "pg") {
    const files = readdirSync(dir).filter((n) => !n.endsWith(".part"));
    return { dir, files: files.length, bytes: files.reduce((n, f) => n + statSync(join(dir, f)).size, 0), intoBlobs: false, missing: [] };
  }
  let files = 0;
  let bytes = 0;
  const missing: string[] = [];
  let lastPrint = performance.now();
  for (const id of ids) {
    const path = join(dir, id);
    if (!existsSync(path)) {
      missing.push(id);
      continue;
    }
    const data = readFileSync(path);
    await store.blobs.put(id, data);
    files++;
    bytes += data.byteLength;
    if (performance.now() - lastPrint > PROGRESS_EVERY_MS) {
      lastPrint = performance.now();
      print(`  uploads  ${fmt(files)} / ${fmt(ids.length)} files…`);
    }
  }
  print(`  uploads  ${fmt(files)} files (${(bytes / 1e6).toFixed(1)} MB) into the target's upload_blobs`);
  return { dir, files, bytes, intoBlobs: true, missing };
}

/**
 * A single node keeps its token key and Web Push key pair in files beside the database; a cluster reads
 * them from the shared secrets. Carried over (unless the source database has its own), sessions and
 * push subscriptions outlive the move: a new VAPID pair would silently break every subscription.
 */
async function carrySecrets(store: Store, dataDir: string): Promise<string[]> {
  const carried: string[] = [];
  for (const k of [JWT_SECRET, VAPID_KEYS]) {
    const path = join(dataDir, k.file);
    if (!existsSync(path)) continue;
    const value = readFileSync(path, "utf8").trim();
    if ((await store.sharedSecret(k.shared, () => value)) === value) carried.push(k.shared);
  }
  return carried;
}

/** After a failure: the target was empty, so emptying it again lets the command simply run again. */
export async function emptyAgain(dst: Db): Promise<string> {
  try {
    for (const t of [...dst.tables].reverse()) await dst.deleteAll(t);
    return "the target was emptied again: fix the cause and run the command again";
  } catch (e) {
    return `emptying the target failed too (${reason(e)}): drop and recreate it before running again`;
  }
}

function summary(r: MigrateResult, dst: Db, dataDir: string | undefined): string[] {
  const lines = [`copied ${fmt(r.rows)} rows in ${r.tables.length} tables in ${r.seconds.toFixed(1)} s (${fmt(Math.round(r.rows / Math.max(r.seconds, 0.001)))} rows/s)`];
  const u = r.uploads;
  if (u?.intoBlobs) {
    if (u.missing.length) lines.push(`uploads: ${u.missing.length} uploads had no file under ${u.dir} (already missing on the source): ${u.missing.slice(0, 5).join(", ")}${u.missing.length > 5 ? ", …" : ""}`);
  } else if (u) {
    lines.push(`uploads: ${fmt(u.files)} files (${(u.bytes / 1e6).toFixed(1)} MB) under ${u.dir} are not in the database: copy that directory to the new server's <data>/uploads/`);
  }
  const blobRows = r.tables.find((t) => t.table === getTableName(uploadBlobs))?.rows ?? 0;
  if (dst.dialect === "sqlite" && blobRows > 0) {
    lines.push(`uploads: ${fmt(blobRows)} upload blobs were copied into upload_blobs, but a single node serves uploads from <data>/uploads/ files; writing them out as files is not done yet`);
  }
  if (r.secrets.length) lines.push(`secrets: ${r.secrets.map((s) => `"${s}"`).join(", ")} taken from the key files in ${dataDir}: cluster nodes sign tokens and send Web Push with the same keys`);
  lines.push("not copied: the search index (the target builds its own from the events) and the migration ledger (the target keeps its own)");
  return lines;
}
