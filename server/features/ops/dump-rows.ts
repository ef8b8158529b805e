// Test kit of the copy commands (migrate-store, backup/restore on PostgreSQL): every row of a database, to compare two row for row.

import { SQL } from "bun";
import { is } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/bun-sql";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql";
import { getTableConfig as pgConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { openConnection } from "../../adapters/store/libsql-connection";
import * as pgSchema from "../../db/schema.pg";
import * as sqliteSchema from "../../db/schema";

export type Rows = Record<string, unknown>[];

/** Every row of every table either schema module declares, by SQL table name, in a canonical order (bytes as hex). */
export async function dumpRows(url: string): Promise<Record<string, Rows>> {
  const out: Record<string, Rows> = {};
  const canonical = (rows: Rows) =>
    rows
      .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v])))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (url.startsWith("postgres")) {
    const client = new SQL(url, { max: 1 });
    const db = drizzlePg({ client });
    for (const t of Object.values(pgSchema).filter((t) => is(t, PgTable)) as PgTable[]) out[pgConfig(t).name] = canonical(await db.select().from(t));
    await client.close();
  } else {
    const conn = openConnection(url);
    const db = drizzleLibsql(conn.client);
    for (const t of Object.values(sqliteSchema).filter((t) => is(t, SQLiteTable)) as SQLiteTable[]) out[sqliteConfig(t).name] = canonical(await db.select().from(t));
    conn.close();
  }
  return out;
}
