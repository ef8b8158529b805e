// Hand-written SQL for the store's hot paths (append, history, resume): one interface, two lanes.

import Database from "libsql";
import type { Client, InArgs, InStatement } from "@libsql/client";

export type Row = Record<string, unknown>;

export interface DirectSql {
  /** Rows as plain objects keyed by column name. */
  all(sql: string, args: InArgs): Promise<Row[]>;
  /** The statements in one write transaction, in order; rolled back as a whole on an error. */
  write(stmts: InStatement[]): Promise<void>;
  close(): void;
}

/** Distinct statement texts kept prepared; the hot paths use a few dozen (multi-row inserts come in fixed chunk sizes). */
const STATEMENT_CACHE_MAX = 512;

/**
 * A local file gets its own connection through libsql's native driver with prepared statements kept
 * across calls: @libsql/client prepares every statement on every call, which cost 9–12 % of the
 * server's CPU under load (docs/benchmarks.md). Everything runs synchronously, so the lock is never
 * held across an await and the client's connection to the same file never waits on this one.
 * A remote URL goes through the client.
 */
export function openDirectSql(url: string, client: Client): DirectSql {
  const path = localPath(url);
  return path === undefined ? clientSql(client) : nativeSql(path);
}

function localPath(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  const path = url.slice("file:".length).replace(/^\/\/(?=\/)/, "").split("?")[0];
  // A private in-memory database would be a second, empty database here.
  return path === "" || path.includes(":memory:") ? undefined : path;
}

function nativeSql(path: string): DirectSql {
  const db = new Database(path);
  db.exec("PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL");
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
      cache.set(sql, (s = db.prepare(sql)));
    }
    return s;
  };
  const bind = (args: InArgs | undefined) => (Array.isArray(args) ? args.map((v) => (typeof v === "boolean" ? Number(v) : v)) : (args ?? []));
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  return {
    async all(sql, args) {
      return prepare(sql).all(bind(args)) as Row[];
    },
    async write(stmts) {
      begin.run();
      try {
        for (const s of stmts) {
          if (typeof s === "string") prepare(s).run();
          else prepare(s.sql).run(bind(s.args));
        }
        commit.run();
      } catch (e) {
        if (db.inTransaction) rollback.run();
        throw e;
      }
    },
    close() {
      cache.clear();
      db.close();
    },
  };
}

function clientSql(client: Client): DirectSql {
  return {
    async all(sql, args) {
      return (await client.execute({ sql, args })).rows as unknown as Row[];
    },
    async write(stmts) {
      await client.batch(stmts, "write");
    },
    close() {},
  };
}
