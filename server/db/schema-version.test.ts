// A binary older than its database refuses to start: the shared check, and libSQL's migrate() using it (PostgreSQL's: adapters/store/postgres.test.ts).

import { describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createLibsqlStore } from "../adapters/store/libsql";
import { tempDir } from "../test/harness";
import { assertKnownMigrations } from "./schema-version";

const REFUSAL = "database schema is newer than this parley binary (unknown migration 9999_from_the_future); upgrade the binary";

describe("schema version", () => {
  test("MIGRATE-1 every applied migration known: fine; one unknown: refused with its tag", () => {
    const bundled = [{ tag: "0000_a" }, { tag: "0001_b" }];
    expect(() => assertKnownMigrations(["0000_a"], bundled)).not.toThrow();
    expect(() => assertKnownMigrations(["0000_a", "0001_b"], bundled)).not.toThrow();
    expect(() => assertKnownMigrations(["0000_a", "9999_from_the_future"], bundled)).toThrow(REFUSAL);
  });

  test("MIGRATE-2 libSQL: a database that lists a migration this binary lacks makes migrate() throw", async () => {
    const dir = tempDir("parley-schema-");
    const url = "file:" + join(dir, "x.db");
    try {
      const store = await createLibsqlStore(url);
      await store.migrate();
      await store.close();
      const client = createClient({ url });
      await client.execute({ sql: "INSERT INTO parley_migrations VALUES (?, ?)", args: ["9999_from_the_future", 1] });
      client.close();
      const older = await createLibsqlStore(url);
      try {
        await expect(older.migrate()).rejects.toThrow(REFUSAL);
      } finally {
        await older.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
