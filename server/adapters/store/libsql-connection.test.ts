// The store's connection on a real database file: rows by position and by name, all-or-nothing writes, drizzle on top.

import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../../test/harness";
import { openConnection, WAL_CHECKPOINT_PAGES } from "./libsql-connection";

const conn = openConnection("file:" + join(tempDir("parley-conn-"), "c.db"));
afterAll(() => conn.close());

describe("libsql connection", () => {
  test("CONN-1 rows can be read by position (drizzle) and by column name (hand-written SQL); booleans bind as 0/1", async () => {
    await conn.write([{ sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag INTEGER)", args: [] }]);
    await conn.write([{ sql: "INSERT INTO t VALUES (?, ?, ?)", args: [1, "one", true] }]);
    const [r] = await conn.all("SELECT id, name, flag FROM t WHERE id = ?", [1]);
    expect([r[0], r[1], r[2]]).toEqual([1, "one", 1]);
    expect([r.id, r.name, r.flag]).toEqual([1, "one", 1]);
    const rs = await conn.client.execute({ sql: "UPDATE t SET name = ? WHERE id = ?", args: ["uno", 1] });
    expect(rs.rowsAffected).toBe(1);
  });

  test("CONN-2 a write whose last statement fails leaves nothing of the earlier ones (the Writer retries jobs on that)", async () => {
    await conn.write([{ sql: "CREATE TABLE u (id INTEGER PRIMARY KEY)", args: [] }]);
    await expect(conn.write([
      { sql: "INSERT INTO u VALUES (?)", args: [1] },
      { sql: "INSERT INTO u VALUES (?)", args: [2] },
      { sql: "INSERT INTO u VALUES (?)", args: [1] }, // primary key violation
    ])).rejects.toThrow(/UNIQUE/);
    expect(await conn.all("SELECT count(*) AS n FROM u", [])).toMatchObject([{ n: 0 }]);
    await conn.write([{ sql: "INSERT INTO u VALUES (?)", args: [3] }]); // the connection is usable afterwards
    expect((await conn.client.batch([{ sql: "SELECT id FROM u", args: [] }], "read"))[0].rows.map((r) => r.id)).toEqual([3]);
  });

  test("CONN-3 interactive transactions are refused: they would hold the only connection across awaits", async () => {
    await expect(conn.client.transaction("write")).rejects.toThrow(/not supported/);
  });

  test("CONN-4 a rebuildable write (no fsync of its own) commits all or nothing, and later writes are FULL again", async () => {
    const synchronous = async () => (await conn.all("PRAGMA synchronous", []))[0][0];
    expect(await synchronous()).toBe(2); // FULL, the default durability
    await conn.write([{ sql: "CREATE TABLE r (id INTEGER PRIMARY KEY)", args: [] }]);
    await conn.write([{ sql: "INSERT INTO r VALUES (?)", args: [1] }], { rebuildable: true });
    await expect(conn.write([
      { sql: "INSERT INTO r VALUES (?)", args: [2] },
      { sql: "INSERT INTO r VALUES (?)", args: [1] }, // primary key violation
    ], { rebuildable: true })).rejects.toThrow(/UNIQUE/);
    expect((await conn.all("SELECT id FROM r", [])).map((r) => r.id)).toEqual([1]);
    expect(await synchronous()).toBe(2);
  });

  test("CONN-5 the WAL is checkpointed every WAL_CHECKPOINT_PAGES pages, not SQLite's default 1,000", async () => {
    const [r] = await conn.all("PRAGMA wal_autocheckpoint", []);
    expect(r[0]).toBe(WAL_CHECKPOINT_PAGES);
    expect(WAL_CHECKPOINT_PAGES).toBeGreaterThan(1_000);
  });
});
