// The search index's FTS5 settings on a migrated database file (why: drizzle/0013_fts_merge_pace.sql).

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../../test/harness";
import { createLibsqlStore } from "./libsql";
import { openConnection } from "./libsql-connection";

describe("libSQL search index", () => {
  const file = join(tempDir("parley-fts-"), "s.db");

  test("FTS-1 after migrating, segments merge a little with every pass from 8 per level on (automerge), all at once only at 64 (crisismerge)", async () => {
    const store = await createLibsqlStore("file:" + file);
    await store.migrate();
    await store.close();
    const conn = openConnection("file:" + file);
    try {
      const config = Object.fromEntries((await conn.all("SELECT k, v FROM events_fts_config", [])).map((r) => [r.k, r.v]));
      expect(config).toMatchObject({ automerge: 8, crisismerge: 64 });
    } finally {
      await conn.close();
    }
  });
});
