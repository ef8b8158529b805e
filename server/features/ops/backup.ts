// `parley backup <file>`: a consistent copy of the database while the server keeps running (VACUUM INTO).

import { createClient } from "@libsql/client";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Config } from "../../config";

/** Returns the path written. Refuses to overwrite; only a local database file can be copied this way. */
export async function backup(config: Config, target: string): Promise<string> {
  if (!config.databaseUrl.startsWith("file:")) throw new Error("backup copies a local database file; back up a remote libSQL server with its own tools");
  const out = resolve(target);
  if (existsSync(out)) throw new Error(`${out} already exists`);
  const client = createClient({ url: config.databaseUrl });
  try {
    // WAL readers do not block the writer: the running server carries on while this reads a snapshot.
    await client.execute({ sql: "VACUUM INTO ?", args: [out] });
  } finally {
    client.close();
  }
  return out;
}
