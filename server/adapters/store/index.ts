// createStore: the Store adapter a database URL names (postgres:// → PostgreSQL, anything else → libSQL).

import type { Store } from "../../ports/store";
import { createLibsqlStore } from "./libsql";
import { createPostgresStore } from "./postgres";

/** A PostgreSQL URL: the database a cluster's nodes share. */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url);

export async function createStore(url: string): Promise<Store> {
  return isPostgresUrl(url) ? createPostgresStore(url) : createLibsqlStore(url);
}
