// createStore: the Store adapter a database URL names (postgres:// → PostgreSQL, anything else → libSQL).

import type { Store } from "../../ports/store";
import { createLibsqlStore } from "./libsql";
import type { Durability } from "./libsql-connection";
import { createPostgresStore } from "./postgres";

/** A PostgreSQL URL: the database a cluster's nodes share. */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/** `durability` applies to a libSQL file (PostgreSQL's own synchronous_commit decides there, on by default). */
export async function createStore(url: string, opts: { durability?: Durability } = {}): Promise<Store> {
  return isPostgresUrl(url) ? createPostgresStore(url) : createLibsqlStore(url, opts);
}
