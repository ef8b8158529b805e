// Microbenchmark of the PostgreSQL store on a fresh database: `store.append` in group-commit batches of 1, 100
// and 1000 events over 100 rooms, as the Writer calls it, and `userById` latency.
// `bun server/adapters/store/postgres-bench.ts [adminUrl=postgres://postgres@127.0.0.1:5432/test] [eventsPerSize=20000]`
// It creates a database beside the admin URL's and drops it after. Lives beside the adapter, like libsql-bench.ts.

import { SQL } from "bun";
import { createPostgresStore } from "./postgres";
import type { NewEvent } from "../../ports/store";
import { seedBenchRooms } from "./bench-seed";

const adminUrl = process.argv[2] ?? "postgres://postgres@127.0.0.1:5432/test";
const perSize = Number(process.argv[3] ?? 20_000);
const ROOMS = 100;
const LOOKUPS = 5_000;

const name = "parley_bench_" + crypto.randomUUID().replaceAll("-", "").slice(0, 12);
const admin = new SQL({ url: adminUrl, max: 1 });
await admin.unsafe(`CREATE DATABASE ${name}`);
const store = await createPostgresStore(adminUrl.replace(/\/[^/?]*(\?.*)?$/, "/" + name));
try {
  await store.migrate();
  const now = Date.now();
  const rooms = await seedBenchRooms(store, ROOMS, now);

  let n = 0;
  const message = (): NewEvent => {
    const room = rooms[n % ROOMS];
    n++;
    return { room, kind: "message", sender: "u" + room, ts: Date.now(), msgId: "m" + n, clientMsgId: "c" + n, body: `bench message ${n} t=${Date.now()} lorem ipsum dolor sit amet` };
  };

  for (const batch of [1, 100, 1000]) {
    for (let i = 0; i < 5; i++) await store.append(Array.from({ length: batch }, message)); // warm-up
    const total = Math.max(batch, batch === 1 ? perSize / 4 : perSize);
    const t0 = performance.now();
    for (let done = 0; done < total; done += batch) await store.append(Array.from({ length: batch }, message));
    const ms = performance.now() - t0;
    console.log(`append, batch ${batch}, ${ROOMS} rooms: ${Math.round(total / (ms / 1000)).toLocaleString("en")} events/s, ${((ms * 1000) / (total / batch)).toFixed(0)} µs per append`);
  }

  const ids = rooms.map((r) => "u" + r);
  for (let i = 0; i < 200; i++) await store.userById(ids[i % ROOMS]); // warm-up
  const lat: number[] = [];
  for (let i = 0; i < LOOKUPS; i++) {
    const t = performance.now();
    await store.userById(ids[i % ROOMS]);
    lat.push((performance.now() - t) * 1000);
  }
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.floor(p * (lat.length - 1))].toFixed(0);
  console.log(`userById, awaited one by one: p50 ${q(0.5)} µs, p99 ${q(0.99)} µs`);
  const t1 = performance.now();
  await Promise.all(Array.from({ length: LOOKUPS }, (_, i) => store.userById(ids[i % ROOMS])));
  console.log(`userById, ${LOOKUPS} at once: ${Math.round(LOOKUPS / ((performance.now() - t1) / 1000)).toLocaleString("en")} lookups/s`);
} finally {
  await store.close();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.close();
}
