// Microbenchmark of the search index's bulk passes and their FTS5 segment merges, on a freshly migrated
// database file: `bun server/adapters/store/fts-bench.ts [automerge=8] [crisismerge=64] [rows per pass=500] [passes=600]`.
// Prints µs per row indexed and the pass times (p50, p99, longest): a pass blocks the event loop, so the
// longest is a stall for every send queued behind it. Figures: docs/benchmarks.md, "Search indexing stalls".

import Database from "libsql";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLibsqlStore } from "./libsql";
import { indexPass } from "./libsql-search";

const [automerge = 8, crisismerge = 64, perPass = 500, passes = 600] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), "parley-fts-"));
const file = join(dir, "fts.db");
const store = await createLibsqlStore(`file:${file}`);
await store.migrate();
await store.close();

const db = new Database(file);
db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
db.exec(`INSERT INTO events_fts(events_fts, rank) VALUES ('automerge', ${automerge}); INSERT INTO events_fts(events_fts, rank) VALUES ('crisismerge', ${crisismerge})`);
const insert = db.prepare("INSERT INTO events (room_id, seq, kind, sender_id, ts, body) VALUES ('r', ?, 'message', 'u', ?, ?)");

let n = 0;
const times: number[] = [];
for (let p = 0; p < passes; p++) {
  db.exec("BEGIN");
  for (let i = 0; i < perPass; i++, n++) insert.run([n + 1, Date.now(), `bench message ${n} t=${Date.now() + n} lorem ipsum dolor sit amet ${(n * 2654435761) % 1000003}`]);
  db.exec("COMMIT");
  const t0 = performance.now();
  db.exec("BEGIN");
  for (const st of indexPass(n)) db.prepare(st.sql).run(st.args); // the server's own pass
  db.exec("COMMIT");
  times.push(performance.now() - t0);
}
const sorted = [...times].sort((a, b) => a - b);
const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1);
const total = times.reduce((a, b) => a + b, 0);
console.log(
  `automerge ${automerge}, crisismerge ${crisismerge}, ${passes} passes of ${perPass} rows: ${((total * 1000) / n).toFixed(2)} µs per row; ` +
    `pass p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, longest ${sorted[sorted.length - 1].toFixed(1)} ms; passes over 30 ms: ${times.filter((t) => t > 30).length}`,
);
db.close();
rmSync(dir, { recursive: true, force: true });
