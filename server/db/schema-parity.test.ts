// The libSQL and PostgreSQL schemas describe the same tables and columns: one Store contract, two dialects.

import { describe, expect, test } from "bun:test";
import { is } from "drizzle-orm";
import { getTableConfig as pgConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as pg from "./schema.pg";
import * as sqlite from "./schema";

/** Table name → its column names (sorted), and whether each may be null. */
function shape(tables: { name: string; columns: { name: string; notNull: boolean }[] }[]) {
  return Object.fromEntries(tables.map((t) => [t.name, t.columns.map((c) => `${c.name}${c.notNull ? "" : "?"}`).sort()]));
}

describe("schema parity", () => {
  test("SCHEMA-1 both schema files declare the same tables with the same column names and nullability", () => {
    const lite = shape(Object.values(sqlite).filter((t) => is(t, SQLiteTable)).map((t) => sqliteConfig(t as SQLiteTable)));
    const post = shape(Object.values(pg).filter((t) => is(t, PgTable)).map((t) => pgConfig(t as PgTable)));
    expect(Object.keys(lite).length).toBeGreaterThan(0);
    expect(post).toEqual(lite);
  });

  test("SCHEMA-2 both export each table under the same name, so code can switch schema modules", () => {
    const names = (m: object, kind: typeof SQLiteTable | typeof PgTable) => Object.entries(m).filter(([, t]) => is(t, kind)).map(([k]) => k).sort();
    expect(names(pg, PgTable)).toEqual(names(sqlite, SQLiteTable));
  });
});
