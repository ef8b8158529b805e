// Delivered marks (protocol 1.2): the `delivered` frame, forward only, receipts, coalesced writes and receipts, deliveredSeq in the members list.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, tempDir, type Session, type TestServer } from "../test/harness";
import { until } from "../test/cluster";
import { DELIVERED_RECEIPTS_MS } from "./delivered";

let s: TestServer;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000, readBurst: 10_000, readRatePerSec: 10_000 } });
  [alice, bob] = await Promise.all([register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

async function room2(server = s, a = alice, b = bob) {
  const room = await createRoom(server.url, a, "public");
  await api(server.url, "POST", `/api/rooms/${room}/join`, undefined, b.accessToken);
  return room;
}
const say = async (c: Client, room: string, body: string) => (await c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body })).event;
const memberOf = async (server: TestServer, who: Session, room: string, userId: string) =>
  (await api(server.url, "GET", `/api/rooms/${room}/members`, undefined, who.accessToken)).body.members.find((m: any) => m.user.id === userId);
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  return line ? Number(line.split(" ")[1]) : 0;
}

describe("delivered", () => {
  test("DEPTH-8 delivered: ok with the mark, others get a receipt with `delivered`; forward only; never past the room's last seq; deliveredSeq in the members list", async () => {
    const room = await room2();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const m1 = await say(a, room, "one");
    const m2 = await say(a, room, "two");
    await b.waitEvents(room, 2, "message");
    const read0 = (await memberOf(s, alice, room, bob.user.id)).readSeq;
    expect((await b.request({ type: "delivered", room, seq: m1.seq })).seq).toBe(m1.seq);
    expect(await a.next((f) => f.type === "receipt" && f.userId === bob.user.id && f.delivered === m1.seq)).toEqual({ type: "receipt", room, userId: bob.user.id, seq: read0, delivered: m1.seq });
    // Backwards or equal: the mark stays, nobody hears of it.
    const from = a.frames.length;
    expect((await b.request({ type: "delivered", room, seq: m1.seq - 1 })).seq).toBe(m1.seq);
    expect((await b.request({ type: "delivered", room, seq: m1.seq })).seq).toBe(m1.seq);
    // Past the end: the room's last seq.
    expect((await b.request({ type: "delivered", room, seq: 1_000_000 })).seq).toBe(m2.seq);
    await a.next((f) => f.type === "receipt" && f.delivered === m2.seq, { from });
    expect(a.frames.slice(from).filter((f) => f.type === "receipt").map((f) => f.delivered)).toEqual([m2.seq]);
    // Without an id: no reply, the mark still moves.
    const m3 = await say(a, room, "three");
    b.send({ type: "delivered", room, seq: m3.seq });
    await a.next((f) => f.type === "receipt" && f.delivered === m3.seq);
    await until("the delivered mark is written", async () => (await memberOf(s, alice, room, bob.user.id)).deliveredSeq === m3.seq);
    a.close();
    b.close();
  });

  test("DEPTH-9 a read mark implies delivery: the read receipt carries delivered >= seq, and deliveredSeq never lags the read mark", async () => {
    const room = await room2();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const m = await say(a, room, "hi");
    await b.request({ type: "read", room, seq: m.seq });
    expect(await a.next((f) => f.type === "receipt" && f.userId === bob.user.id && f.seq === m.seq)).toMatchObject({ delivered: m.seq });
    const row = await memberOf(s, alice, room, bob.user.id);
    expect([row.readSeq, row.deliveredSeq]).toEqual([m.seq, m.seq]);
    // A delivered frame below the read mark changes nothing.
    expect((await b.request({ type: "delivered", room, seq: m.seq - 1 })).seq).toBe(m.seq);
    a.close();
    b.close();
  });

  test("DEPTH-10 coalesced: many delivered frames from several members and rooms become a handful of writes (counted), each mark right", async () => {
    const rooms = await Promise.all([room2(), room2(), room2()]);
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const sent: Record<string, number[]> = {};
    for (const room of rooms) {
      sent[room] = [];
      for (let i = 0; i < 10; i++) sent[room].push((await say(a, room, `m${i}`)).seq);
    }
    await b.waitEvents(rooms[2], 10, "message");
    // Then a burst: every member reports every message, one frame each (60 frames).
    const flushes0 = await metric("parley_delivered_flushes_total");
    let frames = 0;
    for (let i = 0; i < 10; i++) {
      for (const room of rooms) {
        for (const c of [a, b]) c.send({ type: "delivered", room, seq: sent[room][i] });
        frames += 2;
      }
    }
    const last = Object.fromEntries(rooms.map((r) => [r, sent[r][9]]));
    for (const room of rooms) await until("bob's mark is written", async () => (await memberOf(s, alice, room, bob.user.id)).deliveredSeq === last[room]);
    const writes = (await metric("parley_delivered_flushes_total")) - flushes0;
    // 60 frames moved marks 60 times: one write per flush interval (normally 1 here), never one per frame.
    expect(frames).toBe(60);
    expect((await memberOf(s, bob, rooms[0], alice.user.id)).deliveredSeq).toBe(last[rooms[0]]);
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(5);
    a.close();
    b.close();
  });

  test("DEPTH-11 malformed, out-of-order and unauthorized delivered frames are refused; the connection stays open", async () => {
    const room = await room2();
    const priv = await createRoom(s.url, alice, "private");
    const b = await Client.connect(s, bob);
    expect((await b.request({ type: "delivered", room })).code).toBe("invalid_request");
    expect((await b.request({ type: "delivered", room, seq: -1 })).code).toBe("invalid_request");
    expect((await b.request({ type: "delivered", room, seq: "3" })).code).toBe("invalid_request");
    expect((await b.request({ type: "delivered", room, seq: 1.5 })).code).toBe("invalid_request");
    expect((await b.request({ type: "delivered", room: "x".repeat(65), seq: 1 })).code).toBe("invalid_request");
    expect((await b.request({ type: "delivered", room: priv, seq: 1 })).code).toBe("not_found");
    expect((await b.request({ type: "delivered", room: "nosuchroom", seq: 1 })).code).toBe("not_found");
    const pub = await createRoom(s.url, alice, "public");
    expect((await b.request({ type: "delivered", room: pub, seq: 1 })).code).toBe("forbidden");
    expect((await b.request({ type: "ping" })).type).toBe("pong");
    b.close();
  });

  /** The delivered receipts a socket got for a room from frame `from` on: plain receipts and batches, as (userId → delivered) lists. */
  const receiptsIn = (c: Client, room: string, from: number) =>
    c.frames.slice(from).filter((f) => (f.type === "receipt" || f.type === "marks") && f.room === room);
  const marksIn = (frames: any[]) => frames.flatMap((f) => (f.type === "marks" ? f.marks : [{ userId: f.userId, seq: f.seq, delivered: f.delivered }]));

  test("DEPTH-76 delivered receipts are coalesced per room: 50 reports that each move a mark reach a member as 2 frames (one at once, one batch when the interval is over), every final mark right", async () => {
    let now = Date.now();
    const one = await startServer({ clock: { now: () => now }, config: { writeBurst: 10_000, writeRatePerSec: 10_000, readBurst: 10_000, readRatePerSec: 10_000 } });
    try {
      const [owner, ...others] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => register(one.url)));
      const room = await createRoom(one.url, owner, "public");
      for (const o of others) await api(one.url, "POST", `/api/rooms/${room}/join`, undefined, o.accessToken);
      const a = await Client.connect(one, owner);
      const cs = await Promise.all(others.map((o) => Client.connect(one, o)));
      const seqs: number[] = [];
      for (let i = 0; i < 10; i++) seqs.push((await say(a, room, `m${i}`)).seq);
      await Promise.all(cs.map((c) => c.waitEvents(room, 10, "message")));
      const from = a.frames.length;
      // Five members report every message one by one (50 frames, each moving its sender's mark), all at once.
      const acks = await Promise.all(cs.map(async (c) => {
        const got: number[] = [];
        for (const seq of seqs) got.push((await c.request({ type: "delivered", room, seq })).seq);
        return got;
      }));
      expect(acks).toEqual(cs.map(() => seqs));
      // The first mark that moved went out at once; every later one is held while the server's clock stands
      // still — also across the store write of the marks (its own timer), which is waited for here.
      await a.next((f) => f.type === "receipt" && f.room === room, { from });
      for (const o of others) await until("the delivered mark is written", async () => (await memberOf(one, owner, room, o.user.id)).deliveredSeq === seqs[9]);
      await a.request({ type: "ping" }); // frames sent to `a` before its pong have arrived
      expect(receiptsIn(a, room, from)).toHaveLength(1);
      expect(receiptsIn(a, room, from)[0].delivered).toBe(seqs[0]);
      // The interval ends: one frame with every member's final mark.
      now += DELIVERED_RECEIPTS_MS;
      const batch = await a.next((f) => f.type === "marks" && f.room === room, { from });
      expect(batch.marks.map((m: any) => m.userId).sort()).toEqual(others.map((o) => o.user.id).sort());
      for (const m of batch.marks) expect(m.delivered).toBe(seqs[9]);
      await a.request({ type: "ping" });
      expect(receiptsIn(a, room, from)).toHaveLength(2); // 50 mark moves, 2 frames (one per mark move before)
      // The other members got the same (their own marks included).
      const other = cs[0];
      await other.next((f) => f.type === "marks" && f.room === room);
      const last = new Map(marksIn(receiptsIn(other, room, 0)).map((m: any) => [m.userId, m.delivered]));
      for (const o of others) expect(last.get(o.user.id)).toBe(seqs[9]);
      for (const c of [a, ...cs]) c.close();
    } finally {
      await one.stop();
    }
  });

  test("DEPTH-77 read receipts are not held: a read goes out at once with the delivered mark, and a delivered mark held for that member is not announced again", async () => {
    let now = Date.now();
    const one = await startServer({ clock: { now: () => now } });
    try {
      const [owner, x, y] = await Promise.all([0, 1, 2].map(() => register(one.url)));
      const room = await createRoom(one.url, owner, "public");
      for (const o of [x, y]) await api(one.url, "POST", `/api/rooms/${room}/join`, undefined, o.accessToken);
      const a = await Client.connect(one, owner);
      const [cx, cy] = await Promise.all([Client.connect(one, x), Client.connect(one, y)]);
      const m1 = await say(a, room, "one");
      const m2 = await say(a, room, "two");
      await cx.waitEvents(room, 2, "message");
      const from = a.frames.length;
      await cx.request({ type: "delivered", room, seq: m1.seq }); // at once: the room was quiet
      await cx.request({ type: "delivered", room, seq: m2.seq }); // held: the interval is running
      await a.next((f) => f.type === "receipt" && f.delivered === m1.seq, { from });
      // x reads m2 inside the interval: its read receipt goes out at once, carrying delivered = m2.
      expect((await cx.request({ type: "read", room, seq: m2.seq })).seq).toBe(m2.seq);
      expect(await a.next((f) => f.type === "receipt" && f.seq === m2.seq, { from })).toEqual({ type: "receipt", room, userId: x.user.id, seq: m2.seq, delivered: m2.seq });
      // The interval ends; then y reports. The next frame `a` gets is y's receipt alone: x's held mark was dropped.
      now += DELIVERED_RECEIPTS_MS;
      await cy.waitEvents(room, 2, "message");
      await cy.request({ type: "delivered", room, seq: m2.seq });
      await a.next((f) => f.type === "receipt" && f.userId === y.user.id, { from });
      await a.request({ type: "ping" });
      expect(marksIn(receiptsIn(a, room, from))).toEqual([
        { userId: x.user.id, seq: expect.any(Number), delivered: m1.seq },
        { userId: x.user.id, seq: m2.seq, delivered: m2.seq },
        { userId: y.user.id, seq: expect.any(Number), delivered: m2.seq },
      ]);
      for (const c of [a, cx, cy]) c.close();
    } finally {
      await one.stop();
    }
  });

  test("DEPTH-12 a graceful stop writes the marks still pending; they are there after a restart", async () => {
    const dataDir = tempDir();
    const one = await startServer({ dataDir });
    const [x, y] = await Promise.all([register(one.url), register(one.url)]);
    const room = await room2(one, x, y);
    const cx = await Client.connect(one, x);
    const cy = await Client.connect(one, y);
    const m = await say(cx, room, "before the stop");
    expect((await cy.request({ type: "delivered", room, seq: m.seq })).seq).toBe(m.seq);
    cx.close();
    cy.close();
    await one.stop(); // well within the flush interval
    const two = await startServer({ dataDir });
    try {
      expect((await memberOf(two, x, room, y.user.id)).deliveredSeq).toBe(m.seq);
    } finally {
      await two.stop();
    }
  });
});
