// What a self-hoster trusts the data to (docs/reliability.md): owner-only files, fsync before the ack,
// a clean stop that leaves one complete file, and the sender's ack before its own event.
// Speaks only HTTP/WebSocket and files, so `make test` runs it against the compiled binary too.

import { describe, expect, test } from "bun:test";
import Database from "libsql";
import { chmodSync, copyFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig } from "./config";
import { openConnection } from "./adapters/store/libsql-connection";
import { Client, createRoom, register, serverCommand, spawnServer, startServer, tempDir } from "./test/harness";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("data at rest", () => {
  test("REL-1 under umask 022 the data directory is 0700 and the database files 0600; looser ones from before are tightened", async () => {
    const before = process.umask(0o022);
    try {
      const fresh = join(tempDir(), "data");
      const s = await startServer({ dataDir: fresh });
      try {
        const u = await register(s.url);
        await createRoom(s.url, u); // something in the WAL
        expect(mode(fresh).toString(8)).toBe("700");
        for (const f of ["parley.db", "parley.db-wal", "parley.db-shm"]) expect(`${f} ${mode(join(fresh, f)).toString(8)}`).toBe(`${f} 600`);
      } finally {
        await s.stop();
      }
      // A data directory from an older version, or made by hand: 0755 with a 0644 database.
      const old = tempDir();
      const db = new Database(join(old, "parley.db"));
      db.exec("PRAGMA journal_mode=WAL; CREATE TABLE leftover(x)");
      db.close();
      chmodSync(old, 0o755);
      chmodSync(join(old, "parley.db"), 0o644);
      const again = await startServer({ dataDir: old });
      try {
        await register(again.url);
        expect(mode(old).toString(8)).toBe("700");
        expect(mode(join(old, "parley.db")).toString(8)).toBe("600");
      } finally {
        await again.stop();
      }
    } finally {
      process.umask(before);
    }
  });
});

describe("durability", () => {
  test("REL-2 the store fsyncs every commit by default (synchronous=FULL); --durability normal is the documented opt-out; anything else is refused", async () => {
    expect(loadConfig([], {}).durability).toBe("full");
    expect(loadConfig(["--durability", "normal"], {}).durability).toBe("normal");
    expect(loadConfig([], { PARLEY_DURABILITY: "normal" }).durability).toBe("normal");
    expect(() => loadConfig(["--durability", "fast"], {})).toThrow(ConfigError);
    const dir = tempDir();
    for (const [durability, level] of [[undefined, 2], ["full", 2], ["normal", 1]] as const) {
      const conn = openConnection("file:" + join(dir, `${durability}.db`), durability ? { durability } : {});
      try {
        expect([durability, (await conn.all("PRAGMA synchronous", []))[0][0]]).toEqual([durability, level]);
      } finally {
        await conn.close();
      }
    }
  });

  test("REL-3 after a clean SIGTERM parley.db alone holds everything: a copy of just that file has the schema and every acked message", async () => {
    const data = tempDir();
    const args = ["--host", "127.0.0.1", "--port", "0", "--data", data, "--hash-memory", "4096", "--hash-time", "1", "--registration", "open", "--write-burst", "100000", "--write-rate", "100000"];
    const srv = await spawnServer([...(await serverCommand()), ...args], { PARLEY_BUS_URL: "", DATABASE_URL: "" }, data);
    const u = await register(srv.url);
    const room = await createRoom(srv.url, u);
    const c = await Client.connect(srv, u);
    const N = 300;
    for (let i = 0; i < N; i++) c.send({ type: "send", id: `s${i}`, room, clientMsgId: `k${i}`, body: `kept ${i}` });
    await c.next((f) => f.type === "ok" && f.id === `s${N - 1}`);
    srv.proc.kill("SIGTERM");
    expect(await srv.proc.exited).toBe(0);
    // What remains of the WAL is empty: the stop checkpointed it into the main file.
    const wal = join(data, "parley.db-wal");
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    const copy = join(tempDir(), "copy.db");
    copyFileSync(join(data, "parley.db"), copy);
    const db = new Database(copy);
    try {
      const one = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { v: unknown }).v;
      expect(one("SELECT integrity_check AS v FROM pragma_integrity_check")).toBe("ok");
      expect(one("SELECT count(*) AS v FROM events WHERE room_id = ? AND kind = 'message'", room)).toBe(N);
    } finally {
      db.close();
    }
  });
});

describe("ack order", () => {
  test("REL-4 the sender gets its ok before its own event, for sends in one batch, an edit and a reaction", async () => {
    const s = await startServer({ config: { writeBurst: 1000, writeRatePerSec: 1000 } });
    try {
      const u = await register(s.url);
      const room = await createRoom(s.url, u);
      const c = await Client.connect(s, u);
      const N = 20;
      // Sent in one go: they share group commits, whose fan-out follows every ack of the batch.
      const oks = await Promise.all(Array.from({ length: N }, (_, i) => c.request({ type: "send", room, clientMsgId: `o${i}`, body: `order ${i}` })));
      const first = oks[0].event.seq as number;
      const edit = await c.request({ type: "edit", room, msgSeq: first, body: "order edited" });
      const react = await c.request({ type: "react", room, msgSeq: first, emoji: "👍", on: true });
      const acks = [...oks, edit, react];
      for (const ok of acks) expect(ok.type).toBe("ok");
      await c.waitEvents(room, acks.length);
      const at = (pred: (f: any) => boolean) => c.frames.findIndex(pred);
      for (const ok of acks) {
        const okAt = at((f) => f.type === "ok" && f.id === ok.id);
        const eventAt = at((f) => f.type === "event" && f.event.seq === ok.event.seq);
        expect({ seq: ok.event.seq, okBeforeEvent: okAt < eventAt }).toEqual({ seq: ok.event.seq, okBeforeEvent: true });
      }
      c.close();
    } finally {
      await s.stop();
    }
  });
});
