// createStore: the Store adapter a database URL names (postgres:// → PostgreSQL, anything else → libSQL).

import type { Store } from "../../ports/store";
import { createLibsqlStore } from "./libsql";
import type { Durability } from "./libsql-connection";

/** A PostgreSQL URL: the database a cluster's nodes share. */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/**
 * The PostgreSQL adapter (Bun.SQL, drizzle's pg dialect, its migrations) is imported only when a URL names
 * it: a single binary on its libSQL file never loads it (start-up memory, docs/benchmarks.md).
 * `durability` applies to a libSQL file (PostgreSQL's own synchronous_commit decides there, on by default).
 */
export async function createStore(url: string, opts: { durability?: Durability } = {}): Promise<Store> {
  return isPostgresUrl(url) ? (await import("./postgres")).createPostgresStore(url) : createLibsqlStore(url, opts);
}
