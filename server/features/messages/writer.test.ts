// The writer on a real database file: when group commit waits for its pace and when it does not.

import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../test/harness";
import { createLibsqlStore } from "../../adapters/store/libsql";
import { seedBenchRooms } from "../../adapters/store/bench-seed";
import { createLocalBus } from "../../adapters/bus/local";
import { createLogger } from "../../runtime";
import type { NewEvent, Store } from "../../ports/store";
import { createWriter } from "./writer";

let dir: string;
let store: Store;
let room: string;
let n = 0;
const message = (sender: string): NewEvent => ({ room, kind: "message", sender, ts: Date.now(), msgId: "m" + ++n, clientMsgId: "c" + n, body: "hello " + n });
const later = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

beforeEach(async () => {
  dir = tempDir("parley-writer-");
  store = await createLibsqlStore(`file:${join(dir, "w.db")}`);
  await store.migrate();
  [room] = await seedBenchRooms(store, 1, Date.now());
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("writer: group commit's pace", () => {
  test("WRITER-1 sends from other senders within the pace after a commit wait for it and share one commit, in order", async () => {
    const writer = createWriter(store, createLocalBus(), createLogger("error"), undefined, 1_000);
    await writer.append(message("a"));
    expect(writer.stats.batches).toBe(1);
    const b = writer.append(message("b"));
    await later(20); // without the pace, b would have committed alone by now
    const c = writer.append(message("c"));
    const [wb, wc] = await Promise.all([b, c]);
    expect(writer.stats.batches).toBe(2);
    expect([wb.event.seq, wc.event.seq]).toEqual([3, 4]); // seq 1 is the owner's join
  });

  test("WRITER-2 the first send after a quiet spell, and one sender's back-to-back sends, never wait", async () => {
    // A pace far beyond the test's timeout: waiting for it would fail the test.
    const writer = createWriter(store, createLocalBus(), createLogger("error"), undefined, 600_000);
    for (let i = 0; i < 5; i++) await writer.append(message("a"));
    expect(writer.stats.batches).toBe(5);
    expect((await store.events(room, { limit: 10 })).events.filter((e) => e.kind === "message")).toHaveLength(5);
  });

  test("WRITER-3 a pace of 0 commits every send at once", async () => {
    const writer = createWriter(store, createLocalBus(), createLogger("error"), undefined, 0);
    await writer.append(message("a"));
    await writer.append(message("b"));
    await writer.append(message("c"));
    expect(writer.stats.batches).toBe(3);
  });
});
