// The Store contract on PostgreSQL: a fresh database per block on the shared server, and a second instance (another process's pool) on it.

import { storeContract } from "../../test/contracts/store.contract";
import { pgDatabase } from "../../test/cluster";
import { createPostgresStore } from "./postgres";

// Fails, never skips, when PostgreSQL is unreachable: pgDatabase throws. Small pools (Bun.sql opens
// every connection of a pool at once): the machine's PostgreSQL is shared with other test runs.
const POOL = "?max=4";
const dbs: { url: string; drop(): Promise<void> }[] = [];
storeContract("postgres", {
  async open() {
    // Blocks run one after another: the earlier ones are done with their databases (drops take ~0.4 s each).
    await dropAll();
    const db = await pgDatabase("parley_t_");
    dbs.push(db);
    return createPostgresStore(db.url + POOL);
  },
  async openSecond() {
    return createPostgresStore(dbs.at(-1)!.url + POOL);
  },
  cleanup: dropAll,
});

async function dropAll() {
  await Promise.all(dbs.splice(0).map((db) => db.drop()));
}
