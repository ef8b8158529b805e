// The hub: topics get each room's events once, in seq order, even when the bus loses or reorders them; and a burst of
// connects or disconnects ends with memory given back.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NewEvent } from "../ports/store";
import { eventFrame } from "./publish";
import { Client, createRoom, register, startServer, type Session, type TestServer } from "../test/harness";
import { until } from "../test/cluster";

let s: TestServer;
let alice: Session;

beforeAll(async () => {
  s = await startServer();
  alice = await register(s.url);
});
afterAll(() => s.stop());

const msg = (room: string, sender: string, i: number): NewEvent => ({ room, kind: "message", sender, ts: Date.now(), msgId: `hub-${i}`, clientMsgId: `hub-${i}`, body: `lost ${i}` });
const busMessage = (e: { room: string; seq: number }) => ({ kind: "event" as const, room: e.room, seq: e.seq, json: eventFrame(JSON.stringify(e)) });

test("HUB-1 a bus message that never arrives is read from the store; later and repeated ones keep order without duplicates", async () => {
  const room = await createRoom(s.url, alice);
  const c = await Client.connect(s, alice);
  // Stored, but (as if the bus dropped them) never published.
  const stored = await s.ctx.store.append([1, 2, 3].map((i) => msg(room, alice.user.id, i)));
  const [e2, e3, e4] = stored.map((x) => x.event);
  s.ctx.hub.onBus(busMessage(e4)); // arrives first: 2 and 3 are a hole
  s.ctx.hub.onBus(busMessage(e3)); // arrives late: already filled, dropped
  const got = await c.waitEvents(room, 3);
  expect(got.map((e) => e.seq)).toEqual([e2.seq, e3.seq, e4.seq]);
  expect(got.filter((e) => e.kind === "message").map((e) => (e as { body: string }).body)).toEqual(["lost 1", "lost 2", "lost 3"]);
  // And live traffic after the hole continues normally.
  const ok = await c.request({ type: "send", room, clientMsgId: "after", body: "after the hole" });
  expect((await c.waitEvents(room, 4)).map((e) => e.seq)).toEqual([2, 3, 4, ok.event.seq]);
  c.close();
});

test("HUB-2 a burst of connects or disconnects that settles with no room event flowing ends with a shrink; with messages flowing, with a collection only (after the first shrink)", async () => {
  const server = await startServer({ config: { readBurst: 10_000, readRatePerSec: 10_000, writeBurst: 10_000, writeRatePerSec: 10_000 } });
  const shrink = Bun.shrink;
  const gc = Bun.gc;
  const calls = { shrink: 0, gc: 0 };
  Bun.shrink = () => void calls.shrink++;
  Bun.gc = ((force: boolean) => void (force && calls.gc++)) as typeof Bun.gc;
  try {
    const u = await register(server.url);
    const room = await createRoom(server.url, u);
    const burst = () => Promise.all(Array.from({ length: 256 }, () => Client.connect(server, u))); // 256: the hub's CHURN_GC_MIN
    // The first burst after a start always shrinks (as before: the hellos of a restart).
    const quiet = await burst();
    await until("the first burst's shrink", () => calls.shrink === 1);
    // The same sockets closing, nothing else going on: a quiet server shrinks again.
    for (const c of quiet) c.close();
    await until("the quiet burst's shrink", () => calls.shrink === 2);
    // A burst while messages flow: a full collection, no shrink (compiled code is kept under load).
    const sender = await Client.connect(server, u);
    let n = 0;
    let flowing = true;
    const flow = (async () => {
      while (flowing) await sender.request({ type: "send", room, clientMsgId: `flow-${n++}`, body: "flowing" });
    })();
    const busy = await burst();
    await until("the busy burst's collection", () => calls.gc >= 1);
    flowing = false;
    await flow;
    expect(calls.shrink).toBe(2);
    for (const c of [...busy, sender]) c.close();
  } finally {
    Bun.shrink = shrink;
    Bun.gc = gc;
    await server.stop();
  }
});
