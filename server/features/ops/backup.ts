// `parley backup <file>`: a consistent copy of the database into a libSQL file while the server keeps running (the store's backup: VACUUM INTO on libSQL, migrate-store's snapshot copy on PostgreSQL).

import { resolve } from "node:path";
import type { Config } from "../../config";
import { createStore } from "../../adapters/store";

/** Returns the path written. The store refuses to overwrite, and says so when its backend (a remote libSQL server) needs its own tools. */
export async function backup(config: Config, target: string): Promise<string> {
  const out = resolve(target);
  const store = await createStore(config.databaseUrl);
  try {
    await store.backup(out);
  } finally {
    await store.close();
  }
  return out;
}
