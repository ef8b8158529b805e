// The Store contract on libSQL: an embedded database file, and an in-memory database.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { storeContract } from "../../test/contracts/store.contract";
import { tempDir } from "../../test/harness";
import { createLibsqlStore } from "./libsql";

// No `openSecond`: the embedded file has one writing process by design (the log keeps each room's
// next seq in memory), so the several-instances rules are skipped here and run on PostgreSQL.
const dirs: string[] = [];
storeContract("libsql file", {
  async open() {
    const dir = tempDir("parley-store-");
    dirs.push(dir);
    return createLibsqlStore("file:" + join(dir, "x.db"));
  },
  async cleanup() {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  },
});

// `:memory:` goes through @libsql/client, whose pool keeps an in-memory database on one connection
// (a second connection would be a second, empty database): every open() is a new database.
storeContract("libsql :memory:", {
  open: () => createLibsqlStore(":memory:"),
  async cleanup() {},
});
