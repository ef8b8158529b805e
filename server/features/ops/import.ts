// `parley import DIR`: an export (export.ts) into an empty store of either kind, row for row, with the upload and avatar bytes and the Web Push keys.

import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../../config";
import { createStore, isPostgresUrl } from "../../adapters/store";
import { createBlobs } from "../../adapters/blobs";
import { createLogger } from "../../runtime";
import { VAPID_KEYS } from "../push/vapid";
import { BLOB_DIR, EXPORT_FORMAT, EXPORT_VERSION, MANIFEST, NOT_EXPORTED, type Manifest } from "./export";
import { openDb, type Row } from "./migrate-store-db";
import { databaseUrl, emptyAgain, reason, redact, refuseNonEmpty } from "./migrate-store";
import { fileInUse } from "./restore";
import { localPath } from "../../adapters/store/libsql-connection";

const PAGE_ROWS = 1_000;

/** The lines of a file, read as a stream (an export's events file may be larger than memory). */
async function* lines(path: string): AsyncGenerator<string> {
  let rest = "";
  const decoder = new TextDecoder();
  const reader = Bun.file(path).stream().getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line) yield line;
    }
  }
  rest += decoder.decode();
  if (rest) yield rest;
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) throw new Error(`${dir} has no ${MANIFEST}: not an export, or one that did not finish`);
  const m = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  if (m.format !== EXPORT_FORMAT) throw new Error(`${path} is not a Parley export`);
  if (m.version !== EXPORT_VERSION) throw new Error(`${path} is export format ${m.version}; this binary reads format ${EXPORT_VERSION}`);
  return m;
}

/**
 * Refuses a store that holds any row (it never merges). On a failure half-way the target is emptied
 * again, so the same command can run again. Returns the rows written per table.
 */
export async function importData(config: Config, dir: string, print: (l: string) => void = () => {}): Promise<Record<string, number>> {
  const src = resolve(dir);
  const manifest = readManifest(src);
  const url = databaseUrl(config.databaseUrl);
  // A server on the target would keep serving what it cached before the rows arrived (PostgreSQL
  // cannot tell: start the nodes after the import).
  const file = localPath(url);
  if (file !== undefined && existsSync(file) && fileInUse(file)) throw new Error(`${file} is open in a running server (or another parley command): stop it, then import`);
  const store = await createStore(url);
  const db = openDb(url);
  const written: Record<string, number> = {};
  try {
    await store.migrate();
    const unknown = Object.keys(manifest.tables).filter((t) => !db.tables.some((x) => x.name === t) || NOT_EXPORTED.has(t));
    if (unknown.length) throw new Error(`the export has tables this version does not know (${unknown.join(", ")}); nothing was imported`);
    await refuseNonEmpty(db, url, "import", "import into a new data directory or an empty database");
    try {
      for (const t of db.tables) {
        if (!(t.name in manifest.tables)) continue;
        let page: Row[] = [];
        let n = 0;
        for await (const line of lines(join(src, `${t.name}.jsonl`))) {
          page.push(JSON.parse(line) as Row);
          if (page.length === PAGE_ROWS) {
            await db.insert(t, page);
            n += page.length;
            page = [];
          }
        }
        if (page.length) await db.insert(t, page);
        n += page.length;
        if (n !== manifest.tables[t.name]) throw new Error(`${t.name}.jsonl has ${n} rows, the manifest says ${manifest.tables[t.name]}: the export is incomplete`);
        written[t.name] = n;
        print(`  ${t.name.padEnd(20)} ${n.toLocaleString("en-US").padStart(11)} rows`);
      }
      const blobs = createBlobs(config, store, createLogger("error"));
      const ids = new Set<string>();
      for (const u of (await readRows(src, "uploads")).filter((u) => u.deletedAt === null)) ids.add(u.id as string);
      for (const u of await readRows(src, "users")) if (u.avatarId) ids.add(u.avatarId as string);
      let files = 0;
      for (const id of ids) {
        const path = join(src, BLOB_DIR, id);
        if (!existsSync(path)) continue; // missing at the source already (the manifest lists them)
        await blobs.put(id, readFileSync(path));
        files++;
      }
      print(`  ${"blobs".padEnd(20)} ${files.toLocaleString("en-US").padStart(11)} files`);
      if (manifest.vapid) await putVapid(config, url, store, readFileSync(join(src, VAPID_KEYS.file), "utf8").trim());
    } catch (e) {
      throw new Error(`${reason(e)}; ${await emptyAgain(db)}`, { cause: e });
    }
    print(`imported into ${redact(url)}`);
    return written;
  } finally {
    await db.close();
    await store.close();
  }
}

async function readRows(dir: string, table: string): Promise<Row[]> {
  const out: Row[] = [];
  if (existsSync(join(dir, `${table}.jsonl`))) for await (const l of lines(join(dir, `${table}.jsonl`))) out.push(JSON.parse(l) as Row);
  return out;
}

/**
 * The Web Push key pair the subscriptions were made for: a cluster's shared secret on PostgreSQL (the
 * rows a node started on the empty database made were removed by refuseNonEmpty), else <data>/vapid.json.
 */
async function putVapid(config: Config, url: string, store: Awaited<ReturnType<typeof createStore>>, value: string) {
  if (isPostgresUrl(url)) {
    if ((await store.sharedSecret(VAPID_KEYS.shared, () => value)) !== value) throw new Error("the target's Web Push keys could not be replaced");
    return;
  }
  const path = join(config.dataDir, VAPID_KEYS.file);
  writeFileSync(path, value + "\n", { mode: 0o600 });
  chmodSync(path, 0o600);
}
