// The libSQL store's connection: a local file through libsql's native driver with statements kept prepared; a remote URL through @libsql/client.

import Database from "libsql";
import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import { createClient, type Client, type InArgs, type InStatement, type ResultSet } from "@libsql/client";

/** A row: the values by position (drizzle reads them so) and by column name (hand-written SQL does). */
export type Row = unknown[] & Record<string, unknown>;

export interface Connection {
  /** What drizzle talks to. */
  client: Client;
  /** Hand-written reads on the hot paths. */
  all(sql: string, args: InArgs): Promise<Row[]>;
  /**
   * The statements in one write transaction, in order; rolled back as a whole on an error.
   * `rebuildable`: what it writes can be made again from what is stored (the search index), so it
   * commits without its own fsync; the next durable commit's fsync covers it (one WAL file).
   */
  write(stmts: InStatement[], opts?: { rebuildable?: boolean }): Promise<void>;
  /** A local file: checkpointed into the main file (TRUNCATE) and closed, so `parley.db` alone holds everything. */
  close(): Promise<void>;
}

/**
 * "full": SQLite's synchronous=FULL, one fsync of the WAL per group commit, before its acks (the
 * contract's "durably stored"). "normal": no fsync at commit; a power cut or an OS crash can lose
 * the last acked commits (a process crash cannot: the page cache survives it).
 */
export type Durability = "full" | "normal";


/** Distinct statement texts kept prepared (the hot paths use a few dozen: multi-row statements come in fixed chunk sizes). */
const STATEMENT_CACHE_MAX = 1024;
const BUSY_TIMEOUT_MS = 5_000;
/**
 * WAL pages between automatic checkpoints (SQLite's default: 1,000). A checkpoint runs inside the commit
 * that crosses the mark, on the event loop, and copies every page changed since the last one: under a
 * steady flow the same room and index leaves are written again and again, so checkpointing a quarter as
 * often copies far fewer pages. `fanout` at 5,000 msgs/s: 125–133 against 136–147 µs of server CPU per
 * message, p99.9 25–27 against 30–46 ms; `commit` +8–9 % per CPU-second (docs/benchmarks.md, "WAL
 * checkpoints"). The WAL file grows to ~16 MB and stays that size until shutdown truncates it.
 */
export const WAL_CHECKPOINT_PAGES = 4_000;

export function openConnection(url: string, opts: { durability?: Durability } = {}): Connection {
  const path = localPath(url);
  return path === undefined ? remote(createClient({ url })) : local(path, opts.durability ?? "full");
}

/**
 * The database holds password hashes, token hashes and every message: owner-only whatever the umask.
 * Created 0600 before SQLite opens it (SQLite gives -wal and -shm the main file's mode); an older
 * file made under a looser umask is tightened.
 */
function ownerOnly(path: string) {
  closeSync(openSync(path, "a", 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
}

/** The file a `file:` URL names; undefined for :memory: and remote URLs. */
export function localPath(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  const path = url.slice("file:".length).replace(/^\/\/(?=\/)/, "").split("?")[0];
  return path === "" || path.includes(":memory:") ? undefined : path;
}

interface Prepared {
  stmt: Database.Statement;
  reader: boolean;
  columns?: string[];
}

/**
 * One connection for everything, with every statement prepared once. @libsql/client prepares each
 * statement on every call and reads its column list again (together 30 % of the CPU of an
 * authenticated GET, 9–12 % of the server's under message load: docs/benchmarks.md). All calls are
 * synchronous underneath, so a transaction never spans an await and never interleaves with another.
 */
function local(path: string, durability: Durability): Connection {
  ownerOnly(path);
  const db = new Database(path);
  // The busy timeout first: switching to WAL needs the file's lock, which another process may hold for a
  // moment (a backup, a checker, or a connection SQLite is closing); without it the start fails at once (PROC-6).
  db.exec(`PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}; PRAGMA journal_mode=WAL; PRAGMA synchronous=${durability.toUpperCase()}; PRAGMA wal_autocheckpoint=${WAL_CHECKPOINT_PAGES}`);
  const cache = new Map<string, Prepared>();
  const prepare = (sql: string): Prepared => {
    let p = cache.get(sql);
    if (!p) {
      if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
      const stmt = db.prepare(sql);
      cache.set(sql, (p = { stmt, reader: stmt.reader }));
      if (p.reader) stmt.raw(true);
    }
    return p;
  };
  const bind = (args: InArgs | undefined) =>
    Array.isArray(args) ? args.map((v) => (typeof v === "boolean" ? Number(v) : v === undefined ? null : v)) : (args ?? []);

  function execute(s: InStatement): ResultSet {
    const sql = typeof s === "string" ? s : s.sql;
    const p = prepare(sql);
    const args = typeof s === "string" ? [] : bind(s.args);
    if (!p.reader) {
      const info = p.stmt.run(args);
      return resultSet([], [], info.changes, BigInt(info.lastInsertRowid));
    }
    const columns = (p.columns ??= p.stmt.columns().map((c) => c.name));
    const rows = p.stmt.all(args) as Row[];
    for (const r of rows) for (let i = 0; i < columns.length; i++) r[columns[i]] = r[i];
    return resultSet(rows, columns, 0, undefined);
  }

  function transaction<T>(begin: string, run: () => T): T {
    prepare(begin).stmt.run();
    try {
      const out = run();
      prepare("COMMIT").stmt.run();
      return out;
    } catch (e) {
      if (db.inTransaction) prepare("ROLLBACK").stmt.run();
      throw e;
    }
  }

  const client = {
    protocol: "file",
    get closed() {
      return !db.open;
    },
    async execute(s: InStatement | string, args?: InArgs) {
      return execute(typeof s === "string" ? { sql: s, args: args ?? [] } : s);
    },
    async batch(stmts: InStatement[], mode: string = "deferred") {
      return transaction(mode === "write" ? "BEGIN IMMEDIATE" : "BEGIN", () => stmts.map(execute));
    },
    async executeMultiple(sql: string) {
      db.exec(sql);
    },
    async migrate(): Promise<never> {
      throw new Error("not supported: migrations are applied by the store");
    },
    async transaction(): Promise<never> {
      throw new Error("not supported: interactive transactions would hold the only connection across awaits");
    },
    async sync() {
      return undefined;
    },
    close() {
      if (db.open) db.close();
    },
  } as unknown as Client;

  return {
    client,
    async all(sql, args) {
      return execute({ sql, args }).rows as unknown as Row[];
    },
    async write(stmts, opts) {
      if (!opts?.rebuildable || durability !== "full") return transaction("BEGIN IMMEDIATE", () => stmts.forEach(execute));
      db.exec("PRAGMA synchronous=NORMAL");
      try {
        transaction("BEGIN IMMEDIATE", () => stmts.forEach(execute));
      } finally {
        db.exec("PRAGMA synchronous=FULL");
      }
    },
    async close() {
      if (!db.open) return;
      // The driver has no finalize: its close only lets go of the connection, and SQLite closes it
      // (and removes -wal and -shm) once the last prepared statement is garbage-collected. So the
      // checkpoint comes first, and makes the main file complete whatever happens next.
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      cache.clear();
      db.close();
      await new Promise<void>((resolve) => setImmediate(resolve));
      Bun.gc(true); // the statements are unreachable now: collecting them closes the file for real
    },
  };
}

function resultSet(rows: Row[], columns: string[], rowsAffected: number, lastInsertRowid: bigint | undefined): ResultSet {
  return {
    rows: rows as unknown as ResultSet["rows"], columns, columnTypes: columns.map(() => ""), rowsAffected, lastInsertRowid,
    toJSON: () => ({ columns, rows, rowsAffected, lastInsertRowid: lastInsertRowid?.toString() }),
  };
}

function remote(client: Client): Connection {
  return {
    client,
    async all(sql, args) {
      return (await client.execute({ sql, args })).rows as unknown as Row[];
    },
    async write(stmts) {
      await client.batch(stmts, "write");
    },
    async close() {
      client.close();
    },
  };
}
