// Measures migrate-store: a libSQL file of N message events (with their idempotency keys) copied into a fresh PostgreSQL database, and back.
// `bun server/features/ops/migrate-store-bench.ts [events=100000] [rooms=100] [pageRows=1000]`; needs the PostgreSQL of server/test/cluster.ts.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLibsqlStore } from "../../adapters/store/libsql";
import type { NewEvent } from "../../ports/store";
import { pgDatabase } from "../../test/cluster";
import { migrateStore, type MigrateResult } from "./migrate-store";
import { seedBenchRooms } from "../../adapters/store/bench-seed";

const [total = 100_000, roomCount = 100, pageRows = 1_000] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), "parley-migstore-bench-"));
const src = `file:${join(dir, "single.db")}`;
const store = await createLibsqlStore(src);
await store.migrate();
const now = Date.now();
const rooms = await seedBenchRooms(store, roomCount, now);
for (let n = 0; n < total; ) {
  const batch = Array.from({ length: Math.min(500, total - n) }, (): NewEvent => {
    const room = rooms[n % roomCount];
    n++;
    return { room, kind: "message", sender: "u" + room, ts: now + n, msgId: "m" + n, clientMsgId: "c" + n, body: `message ${n}: lorem ipsum dolor sit amet, consectetur adipiscing elit` };
  });
  await store.append(batch);
}
await store.close();

const line = (what: string, r: MigrateResult) => {
  const events = r.tables.find((t) => t.table === "events")!;
  console.log(`${what}: ${r.rows.toLocaleString("en")} rows in ${r.seconds.toFixed(2)} s = ${Math.round(r.rows / r.seconds).toLocaleString("en")} rows/s overall; events ${Math.round(events.rows / events.seconds).toLocaleString("en")} rows/s`);
};
const pg = await pgDatabase("parley_migstore_bench_");
try {
  line(`libSQL → PostgreSQL (pages of ${pageRows})`, await migrateStore({ from: src, to: pg.url, pageRows }));
  line(`PostgreSQL → libSQL (pages of ${pageRows})`, await migrateStore({ from: pg.url, to: `file:${join(dir, "back.db")}`, pageRows }));
} finally {
  await pg.drop();
  rmSync(dir, { recursive: true, force: true });
}
