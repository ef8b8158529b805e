// createStore: the Store adapter a database URL names (postgres:// → PostgreSQL, anything else → libSQL).

import type { Store } from "../../ports/store";
import { createLibsqlStore } from "./libsql";
import { createPostgresStore } from "./postgres";

export async function createStore(url: string): Promise<Store> {
  return /^postgres(ql)?:\/\//i.test(url) ? createPostgresStore(url) : createLibsqlStore(url);
}
