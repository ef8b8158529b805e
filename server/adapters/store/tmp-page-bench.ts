// Microbenchmark of the libSQL store's hot path on a fresh database file: `store.append` in group-commit
// batches, as the Writer calls it. `bun server/adapters/store/libsql-bench.ts [batch=100] [rooms=100] [total=50000]`.
// Prints events/s for the appends and µs per append; used for the before/after figures in docs/benchmarks.md.
// It lives beside the adapter, not in bench/: bench/ talks to a server over the wire and never imports adapters.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLibsqlStore } from "./libsql";
import type { NewEvent } from "../../ports/store";
import { seedBenchRooms } from "./bench-seed";

const [batch = 100, roomCount = 100, total = 50_000] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), "parley-append-"));
if (process.env.PAGE) {
  const Database = (await import("libsql")).default;
  const d = new Database(join(dir, "bench.db"));
  d.exec(`PRAGMA page_size=${process.env.PAGE}; VACUUM; PRAGMA journal_mode=WAL;`);
  console.log("page_size", d.prepare("PRAGMA page_size").get());
  d.close();
}
const store = await createLibsqlStore(`file:${join(dir, "bench.db")}`);
await store.migrate();

const now = Date.now();
const rooms = await seedBenchRooms(store, roomCount, now);

let n = 0;
const message = (): NewEvent => {
  const room = rooms[n % roomCount];
  n++;
  return { room, kind: "message", sender: "u" + room, ts: Date.now(), msgId: "m" + n, clientMsgId: "c" + n, body: `bench message ${n} t=${Date.now()} lorem ipsum dolor sit amet` };
};

// Warm-up (statement caches, page cache), then the measured run.
for (let i = 0; i < 10; i++) await store.append(Array.from({ length: batch }, message));
const t0 = performance.now();
let appended = 0;
while (appended < total) {
  await store.append(Array.from({ length: batch }, message));
  appended += batch;
}
const ms = performance.now() - t0;
// A search first indexes whatever is not yet in the FTS index: the rest of the work the appends caused.
await store.search("u" + rooms[0], { text: "lorem", limit: 1 });
const withIndex = performance.now() - t0;
const rate = (t: number) => Math.round(appended / (t / 1000)).toLocaleString("en");
console.log(`batch ${batch}, ${roomCount} rooms: ${rate(ms)} events/s, ${((ms * 1000) / (appended / batch)).toFixed(0)} µs per append; ${rate(withIndex)} events/s counting the search indexing`);
await store.close();
rmSync(dir, { recursive: true, force: true });
