// migrate-store's access to one database of either dialect: the schema module's tables in copy order, read and written in pages through drizzle.

import { SQL as BunSQL } from "bun";
import { count, getTableColumns, is, sql, type Column, type SQL } from "drizzle-orm";
import { drizzle as drizzlePg, type BunSQLDatabase } from "drizzle-orm/bun-sql";
import { drizzle as drizzleLibsql, type LibSQLDatabase } from "drizzle-orm/libsql";
import { getTableConfig as pgConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { isPostgresUrl } from "../../adapters/store";
import { openConnection } from "../../adapters/store/libsql-connection";
import { pgText } from "../../adapters/store/postgres-effects";
import * as sqliteSchema from "../../db/schema";
import * as pgSchema from "../../db/schema.pg";

export type Dialect = "sqlite" | "pg";
export type Row = Record<string, unknown>;

export interface SchemaTable {
  /** The export name: the same in schema.ts and schema.pg.ts (SCHEMA-2), so it pairs the two. */
  key: string;
  /** The SQL name. */
  name: string;
  table: SQLiteTable | PgTable;
  /** Column key → column; the keys are the same in both schemas, the column types are the dialect's. */
  columns: Record<string, Column>;
  /** Column keys of the primary key. */
  primaryKey: string[];
  /** Keys of the tables its foreign keys reference. */
  references: string[];
}

/**
 * Tables in a database that no schema module declares and that are its own business, never copied:
 * the migration ledger and the libSQL search index's bookkeeping (virtual tables such as events_fts
 * and their shadow tables are recognised by their definition). Anything else undeclared stops the
 * copy: leaving a table behind silently would be worse.
 */
const INTERNAL_TABLES = new Set(["parley_migrations", "search_indexed"]);

/** SQLite's limit on bound parameters is 32,766, PostgreSQL's 65,535: statements stay well below both. */
const MAX_PARAMS_PER_STATEMENT = 16_000;
/** A page's values are held in memory while it is written: upload bytes make few rows per page. */
const PAGE_BYTES_MAX = 16 * 1024 * 1024;
const ORDER_KEY = "__migrate_order";

export const dialectOf = (url: string): Dialect => (isPostgresUrl(url) ? "pg" : "sqlite");

/** Every table the dialect's schema module exports, in foreign-key order (referenced tables first), otherwise by export name. */
export function schemaTables(dialect: Dialect): SchemaTable[] {
  const mod: Record<string, unknown> = dialect === "pg" ? pgSchema : sqliteSchema;
  const entries = Object.entries(mod).filter(([, t]) => (dialect === "pg" ? is(t, PgTable) : is(t, SQLiteTable))) as [string, SQLiteTable | PgTable][];
  const keyOf = new Map<unknown, string>(entries.map(([k, t]) => [t, k]));
  const tables = entries.map(([key, table]): SchemaTable => {
    const cfg = dialect === "pg" ? pgConfig(table as PgTable) : sqliteConfig(table as SQLiteTable);
    const columns = getTableColumns(table) as Record<string, Column>;
    // By SQL name: a composite key's columns are not always the very objects getTableColumns returns.
    const colKey = new Map<string, string>(Object.entries(columns).map(([k, c]) => [c.name, k]));
    const pk = cfg.primaryKeys[0]?.columns ?? (cfg.columns as Column[]).filter((c) => c.primary);
    const references = cfg.foreignKeys.map((fk) => keyOf.get(fk.reference().foreignTable)).filter((k): k is string => k !== undefined && k !== key);
    return { key, name: cfg.name, table, columns, primaryKey: (pk as Column[]).map((c) => colKey.get(c.name)!), references };
  });
  const byKey = new Map(tables.map((t) => [t.key, t]));
  const ordered: SchemaTable[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (t: SchemaTable) => {
    if (state.get(t.key) === "done") return;
    if (state.get(t.key) === "visiting") throw new Error(`the foreign keys of ${t.name} form a cycle: no copy order exists`);
    state.set(t.key, "visiting");
    for (const r of t.references) visit(byKey.get(r)!);
    state.set(t.key, "done");
    ordered.push(t);
  };
  tables.forEach(visit);
  return ordered;
}

/** A value read from the other dialect, as the column of this one stores it. */
function convert(v: unknown, col: Column, dialect: Dialect): unknown {
  if (v === null || v === undefined) return null;
  switch (col.dataType) {
    case "boolean":
      return typeof v === "string" ? v === "true" || v === "1" : Boolean(v);
    case "number": {
      const n = typeof v === "number" ? v : Number(v);
      if (!Number.isFinite(n)) throw new Error(`column ${col.name}: ${JSON.stringify(String(v).slice(0, 40))} is not a number`);
      return n;
    }
    case "string": {
      const s = typeof v === "string" ? v : String(v);
      return dialect === "pg" ? pgText(s) : s; // PostgreSQL text cannot hold U+0000: the PostgreSQL store writes U+FFFD too
    }
    case "buffer":
      return Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
    default:
      return v; // JSON stays text in both schemas; binary columns of PostgreSQL take any Uint8Array
  }
}

const rowBytes = (r: Row) => {
  let n = 0;
  for (const k in r) {
    const v = r[k];
    n += typeof v === "string" ? v.length * 2 : v instanceof Uint8Array ? v.byteLength : 8;
  }
  return n;
};

type LibsqlDb = LibSQLDatabase<Record<string, never>>;
type PgDb = BunSQLDatabase<Record<string, never>>;
/** The query builders used here, which both dialects' databases and transactions share in shape. */
type Queries = LibsqlDb | PgDb;

export interface Reader {
  count(t: SchemaTable): Promise<number>;
  /** Rows of every column, in pages of at most `maxRows`, in a stable order: the insertion order where the database keeps one. */
  pages(t: SchemaTable, maxRows: number): AsyncGenerator<Row[]>;
}

export interface Db {
  dialect: Dialect;
  tables: SchemaTable[];
  count(t: SchemaTable): Promise<number>;
  /** Calls `fn` with a reader that sees one snapshot of the database (a local libSQL file or PostgreSQL; a remote libSQL reads page by page). */
  snapshot<T>(fn: (r: Reader) => Promise<T>): Promise<T>;
  /** Inserts the rows (read from either dialect) in one transaction. */
  insert(t: SchemaTable, rows: Row[]): Promise<void>;
  deleteAll(t: SchemaTable): Promise<void>;
  /** Tables in the database that the schema does not declare and that are not internal: these would be left behind. */
  undeclaredTables(): Promise<string[]>;
  close(): Promise<void>;
}

export function openDb(url: string): Db {
  const dialect = dialectOf(url);
  const tables = schemaTables(dialect);
  const declared = new Set(tables.map((t) => t.name));

  if (dialect === "pg") {
    // Two connections: the snapshot's transaction holds one while writes or counts use the other.
    const client = new BunSQL(url, { max: 2 });
    const db: PgDb = drizzlePg({ client });
    return {
      dialect, tables,
      count: (t) => countRows(db, t),
      snapshot: (fn) => db.transaction((tx) => fn(reader(tx as unknown as PgDb, (t) => identityColumn(tx as unknown as PgDb, t))), { isolationLevel: "repeatable read", accessMode: "read only" }),
      insert: async (t, rows) => {
        const chunks = statements(t, rows, dialect);
        if (chunks.length === 1) await db.insert(t.table as PgTable).values(chunks[0]);
        else await db.transaction(async (tx) => { for (const c of chunks) await tx.insert(t.table as PgTable).values(c); });
      },
      deleteAll: async (t) => void (await db.delete(t.table as PgTable)),
      async undeclaredTables() {
        const rows = await client.unsafe("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'");
        return rows.map((r: { table_name: string }) => r.table_name).filter((n: string) => !declared.has(n) && !INTERNAL_TABLES.has(n)).sort();
      },
      close: () => client.close(),
    };
  }

  const conn = openConnection(url);
  const db: LibsqlDb = drizzleLibsql(conn.client);
  // Every read of the local driver runs on this one connection, so BEGIN … COMMIT around the reads is one snapshot.
  const local = conn.client.protocol === "file";
  return {
    dialect, tables,
    count: (t) => countRows(db, t),
    async snapshot(fn) {
      if (!local) return fn(reader(db, (t) => rowidOrder(db, t)));
      await conn.client.execute("BEGIN");
      try {
        return await fn(reader(db, (t) => rowidOrder(db, t)));
      } finally {
        await conn.client.execute("COMMIT");
      }
    },
    insert: async (t, rows) => {
      const [first, ...rest] = statements(t, rows, dialect).map((c) => db.insert(t.table as SQLiteTable).values(c));
      await db.batch([first, ...rest]); // one transaction
    },
    deleteAll: async (t) => void (await db.delete(t.table as SQLiteTable)),
    async undeclaredTables() {
      const rows = await conn.all("SELECT name, sql FROM sqlite_master WHERE type = 'table'", []);
      const virtual = rows.filter((r) => /^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(String(r.sql ?? ""))).map((r) => String(r.name));
      return rows
        .map((r) => String(r.name))
        .filter((n) => !declared.has(n) && !INTERNAL_TABLES.has(n) && !n.startsWith("sqlite_") && !virtual.some((v) => n === v || n.startsWith(v + "_")))
        .sort();
    },
    close: async () => conn.close(),
  };
}

async function countRows(db: Queries, t: SchemaTable): Promise<number> {
  const [r] = await (db as LibsqlDb).select({ n: count() }).from(t.table as SQLiteTable);
  return Number(r.n);
}

/** The rows in value lists of at most MAX_PARAMS_PER_STATEMENT parameters, converted for this dialect. */
function statements(t: SchemaTable, rows: Row[], dialect: Dialect): Row[][] {
  const keys = Object.keys(t.columns);
  const converted = rows.map((r) => {
    const out: Row = {};
    for (const k of keys) out[k] = convert(r[k], t.columns[k], dialect);
    return out;
  });
  const per = Math.max(1, Math.floor(MAX_PARAMS_PER_STATEMENT / keys.length));
  const chunks: Row[][] = [];
  for (let i = 0; i < converted.length; i += per) chunks.push(converted.slice(i, i + per));
  return chunks;
}

/** SQLite's rowid is the insertion order (events' search cursor); WITHOUT ROWID tables have none. */
async function rowidOrder(db: LibsqlDb, t: SchemaTable): Promise<SQL | undefined> {
  const [r] = await db.all<{ wr: number }>(sql`SELECT wr FROM pragma_table_list WHERE name = ${t.name}`);
  return r && Number(r.wr) === 0 ? sql`rowid` : undefined;
}

/** An identity column the schema does not declare keeps PostgreSQL's insertion order (events.pos: the search cursor). */
async function identityColumn(db: PgDb, t: SchemaTable): Promise<SQL | undefined> {
  const rows = await db.execute<{ column_name: string }>(
    sql`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${t.name} AND is_identity = 'YES'`,
  );
  const names = new Set(Object.values(t.columns).map((c) => c.name));
  const col = [...rows].map((r) => r.column_name).find((n) => !names.has(n));
  return col === undefined ? undefined : sql`${sql.identifier(col)}`;
}

/**
 * Keyset pages, so each costs the same however deep into the table: by the insertion order when the
 * database keeps one (copied in that order, the target assigns its own the same way), else by the
 * primary key. Pages shrink for wide rows (upload bytes) to stay near PAGE_BYTES_MAX.
 */
function reader(db: Queries, insertionOrder: (t: SchemaTable) => Promise<SQL | undefined>): Reader {
  const q = db as LibsqlDb; // the same builder calls on both dialects; the table objects carry the dialect
  return {
    count: (t) => countRows(db, t),
    async *pages(t, maxRows) {
      const order = await insertionOrder(t);
      const pk = t.primaryKey.map((k) => t.columns[k]);
      if (!order && pk.length === 0) throw new Error(`${t.name} has no primary key and no insertion order to page by`);
      const fields = order ? { ...t.columns, [ORDER_KEY]: order } : t.columns;
      let after: unknown[] | undefined;
      let limit = maxRows;
      for (;;) {
        const where = after === undefined ? undefined : order ? sql`${order} > ${after[0]}` : sql`(${sql.join(pk, sql`, `)}) > (${sql.join(after.map((v) => sql`${v}`), sql`, `)})`;
        const rows = (await q
          .select(fields as Record<string, SQLiteColumn | SQL>)
          .from(t.table as SQLiteTable)
          .where(where)
          .orderBy(...(order ? [order] : (pk as never[])))
          .limit(limit)) as Row[];
        if (rows.length === 0) return;
        const last = rows[rows.length - 1];
        after = order ? [last[ORDER_KEY]] : t.primaryKey.map((k) => last[k]);
        if (order) for (const r of rows) delete r[ORDER_KEY];
        const bytes = rows.reduce((n, r) => n + rowBytes(r), 0);
        const full = rows.length === limit;
        yield rows;
        if (!full) return;
        limit = Math.max(1, Math.min(maxRows, Math.floor(PAGE_BYTES_MAX / Math.max(1, bytes / rows.length))));
      }
    },
  };
}
