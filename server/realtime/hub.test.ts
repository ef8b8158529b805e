// The hub's guarantee: topics get each room's events once, in seq order, even when the bus loses or reorders them.

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { NewEvent } from "../ports/store";
import { eventFrame } from "./publish";
import { Client, createRoom, register, startServer, type Session, type TestServer } from "../test/harness";

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
