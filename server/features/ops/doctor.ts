// `parley doctor`: one line per check (ok / warn / fail) of what a server needs — configuration, data directory, disk, database, schema.

import Database from "libsql";
import { existsSync, readdirSync, statSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig, type Config } from "../../config";
import { isPostgresUrl } from "../../adapters/store";
import { localPath } from "../../adapters/store/libsql-connection";
import { MIGRATIONS } from "../../db/migrations.gen";
import { MIGRATIONS as PG_MIGRATIONS } from "../../db/migrations-pg.gen";
import { redact } from "./migrate-store";
import { appliedMigrations } from "./restore";

export type Level = "ok" | "warn" | "fail";
export interface Check {
  level: Level;
  name: string;
  detail: string;
}

/** Free space under which a server cannot be trusted to commit (fail), or soon will not (warn). */
export const DISK_FAIL_BYTES = 100 * 1024 * 1024;
export const DISK_WARN_BYTES = 1024 * 1024 * 1024;
const PG_TIMEOUT_MS = 5_000;

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => "0" + m.toString(8);

/** Runs every check it can (a bad configuration stops the others: they depend on it). */
export async function doctor(argv: string[], env: Record<string, string | undefined>): Promise<Check[]> {
  let config: Config;
  try {
    config = loadConfig(argv, env);
  } catch (e) {
    if (e instanceof ConfigError) return [{ level: "fail", name: "configuration", detail: e.message }];
    throw e;
  }
  const checks: Check[] = [configuration(config)];
  checks.push(...permissions(config));
  checks.push(disk(config.dataDir));
  checks.push(await database(config));
  checks.push(await migrations(config));
  return checks;
}

function configuration(c: Config): Check {
  const notes: string[] = [];
  if (c.benchMode) notes.push("--bench-mode is on: rate limits lifted and password hashing weakened");
  if (c.durability === "normal") notes.push("--durability normal: a power cut can lose the last acked messages");
  if (c.publicUrl.startsWith("http://")) notes.push("--public-url is http://: tokens travel in clear unless a proxy in front adds TLS");
  return notes.length ? { level: "warn", name: "configuration", detail: notes.join("; ") } : { level: "ok", name: "configuration", detail: "valid" };
}

/** The data directory 0700 and what it holds 0600 (files) / 0700 (directories): password hashes, keys and every message. */
function permissions(c: Config): Check[] {
  const dir = c.dataDir;
  if (!existsSync(dir)) return [{ level: "warn", name: "data directory", detail: `${dir} does not exist yet: the server creates it (0700) at start` }];
  const out: Check[] = [];
  const m = mode(dir);
  out.push(m & 0o077 ? { level: "warn", name: "data directory", detail: `${dir} is ${octal(m)}: others can read it; chmod 700 (the server tightens it at start)` } : { level: "ok", name: "data directory", detail: `${dir} (${octal(m)})` });
  const loose: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (mode(p) & 0o077) loose.push(`${p} (${octal(mode(p))})`);
        if (depth < 1) walk(p, depth + 1); // uploads/: one level
      } else if (e.isFile() && mode(p) & 0o077) loose.push(`${p} (${octal(mode(p))})`);
    }
  };
  walk(dir, 0);
  out.push(loose.length
    ? { level: "warn", name: "file permissions", detail: `readable by others: ${loose.slice(0, 5).join(", ")}${loose.length > 5 ? `, and ${loose.length - 5} more` : ""}; chmod 600 files, 700 directories` }
    : { level: "ok", name: "file permissions", detail: "owner-only" });
  return out;
}

function disk(dir: string): Check {
  let at = dir;
  while (!existsSync(at)) at = join(at, "..");
  const s = statfsSync(at);
  const free = s.bavail * s.bsize;
  const share = s.blocks ? s.bavail / s.blocks : 1;
  const detail = `${(free / 1024 ** 3).toFixed(1)} GiB free (${(share * 100).toFixed(0)} %) under ${at}`;
  if (free < DISK_FAIL_BYTES) return { level: "fail", name: "free disk", detail: `${detail}: a full disk makes every send fail` };
  if (free < DISK_WARN_BYTES || share < 0.05) return { level: "warn", name: "free disk", detail };
  return { level: "ok", name: "free disk", detail };
}

async function database(c: Config): Promise<Check> {
  const url = c.databaseUrl;
  if (isPostgresUrl(url)) {
    const sql = new Bun.SQL(url, { max: 1, connectionTimeout: PG_TIMEOUT_MS / 1000 });
    try {
      const [r] = await Promise.race([sql.unsafe("SELECT version() AS v"), Bun.sleep(PG_TIMEOUT_MS).then(() => { throw new Error(`no answer in ${PG_TIMEOUT_MS / 1000} s`); })]);
      return { level: "ok", name: "database", detail: `${redact(url)} reachable (${String(r.v).split(" on ")[0]})` };
    } catch (e) {
      return { level: "fail", name: "database", detail: `${redact(url)} unreachable: ${(e as Error).message}` };
    } finally {
      void sql.close();
    }
  }
  const path = localPath(url);
  if (path === undefined) return { level: "warn", name: "database", detail: `${redact(url)}: a remote libSQL server is not checked here` };
  if (!existsSync(path)) return { level: "warn", name: "database", detail: `no database at ${path} yet: the server creates it at start` };
  try {
    const db = new Database(path, { readonly: true });
    try {
      const problems = (db.prepare("PRAGMA integrity_check").all() as { integrity_check: string }[]).map((r) => r.integrity_check).filter((r) => r !== "ok");
      if (problems.length) return { level: "fail", name: "database", detail: `integrity_check: ${problems.slice(0, 3).join("; ")} — restore the last backup (parley restore)` };
    } finally {
      db.close();
    }
    return { level: "ok", name: "database", detail: `${path}: integrity_check ok` };
  } catch (e) {
    return { level: "fail", name: "database", detail: `${path}: ${(e as Error).message}` };
  }
}

async function migrations(c: Config): Promise<Check> {
  const bundled = (isPostgresUrl(c.databaseUrl) ? PG_MIGRATIONS : MIGRATIONS).map((m) => m.tag);
  let applied: string[];
  try {
    applied = await appliedMigrations(c.databaseUrl);
  } catch (e) {
    return { level: "fail", name: "migrations", detail: `cannot read the migration ledger: ${(e as Error).message}` };
  }
  const unknown = applied.filter((t) => !bundled.includes(t));
  if (unknown.length) return { level: "fail", name: "migrations", detail: `the database has migrations this binary does not know (${unknown.join(", ")}): it is newer; upgrade the binary` };
  const pending = bundled.filter((t) => !applied.includes(t));
  if (applied.length === 0) return { level: "ok", name: "migrations", detail: `none applied yet (new database): ${bundled.length} run at start or with parley migrate` };
  if (pending.length) return { level: "warn", name: "migrations", detail: `${applied.length} of ${bundled.length} applied; ${pending.length} pending (${pending.join(", ")}): they run at the next start or with parley migrate` };
  return { level: "ok", name: "migrations", detail: `${applied.length} of ${bundled.length} applied` };
}

export const formatCheck = (c: Check) => `${c.level.padEnd(5)} ${c.name.padEnd(17)} ${c.detail}`;
