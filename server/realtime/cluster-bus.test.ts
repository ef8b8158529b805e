// Two real Parley servers on one PostgreSQL database and one Redis bus: what one process guarantees holds across both.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pgDatabase, startRedis, type Proc } from "../test/cluster";
import { api, Client, createRoom, register, startServer, type Session, type TestServer } from "../test/harness";
import type { RoomEvent } from "../protocol/types";
import { DELIVERED_RECEIPTS_MS } from "./delivered";

const JWT_SECRET = "cluster-bus-test-secret-0123456789abcdef";
/** Past the hub's periodic check (20 s) with room to spare on a loaded machine. */
const CHECK_WAIT_MS = 30_000;

// Made at module scope, not in beforeAll: bun 1.4.5's test runner may kill every process a hook
// spawned when a timer of some test fires ("killed 1 dangling process"), and that took this file's
// Redis away mid-run on a loaded machine; processes spawned at module scope are not tracked.
const [redis, db]: [Proc, { url: string; drop(): Promise<void> }] = await Promise.all([startRedis(), pgDatabase("parley_bus_")]);
let a: TestServer, b: TestServer;
let admin: Session, alice: Session, bob: Session;

beforeAll(async () => {
  const config = { busUrl: redis.url, databaseUrl: db.url, jwtSecret: JWT_SECRET, writeBurst: 100_000, writeRatePerSec: 100_000, readBurst: 100_000, readRatePerSec: 100_000 };
  a = await startServer({ config }); // one after the other: the first one migrates the shared database
  b = await startServer({ config });
  admin = await register(a.url); // the first account is the server admin
  [alice, bob] = [await register(a.url), await register(b.url)];
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([redis.stop(), db.drop()]);
});

/** A room alice (on node A's API) owns and bob joined (through node B's API). */
async function sharedRoom(): Promise<string> {
  const room = await createRoom(a.url, alice);
  expect((await api(b.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken)).status).toBe(200);
  return room;
}

const send = (c: Client, room: string, tag: string) => c.request({ type: "send", room, clientMsgId: tag, body: tag });
const bodies = (es: RoomEvent[]) => es.flatMap((e) => (e.kind === "message" ? [e.body] : []));
const seqs = (es: RoomEvent[]) => es.map((e) => e.seq);
/** The seqs are consecutive: none missing, none twice, in order. */
function expectGapless(es: RoomEvent[]) {
  const s = seqs(es);
  expect(s).toEqual(Array.from({ length: s.length }, (_, i) => s[0] + i));
}

describe("two nodes", () => {
  test("CLUSTER-BUS-1 messages sent through node A reach a member connected to node B once each, in seq order", async () => {
    const room = await sharedRoom();
    const [ca, cb] = await Promise.all([Client.connect(a, alice), Client.connect(b, bob)]);
    const tags = Array.from({ length: 100 }, (_, i) => `m1-${i}`);
    const acks = await Promise.all(tags.map((t) => send(ca, room, t)));
    expect(acks.every((x) => x.type === "ok")).toBe(true);
    const got = await cb.waitEvents(room, 100, "message");
    expect(bodies(got)).toEqual(tags);
    expectGapless(cb.events(room));
    ca.close();
    cb.close();
  });

  test("CLUSTER-BUS-2 typing and read receipts cross nodes", async () => {
    const room = await sharedRoom();
    const [ca, cb] = await Promise.all([Client.connect(a, alice), Client.connect(b, bob)]);
    // A welcome comes before the socket is live in its rooms; a typing signal is not replayed, so
    // the first message's arrival on B is what says bob's socket now takes the room's signals.
    const ack = await send(ca, room, "m2");
    await cb.waitEvents(room, 1, "message");
    ca.send({ type: "typing", room });
    expect(await cb.next((f) => f.type === "typing" && f.room === room)).toMatchObject({ userId: alice.user.id });
    await cb.request({ type: "read", room, seq: ack.event.seq });
    expect(await ca.next((f) => f.type === "receipt" && f.room === room)).toMatchObject({ userId: bob.user.id, seq: ack.event.seq });
    ca.close();
    cb.close();
  });

  test("DEPTH-80 delivered receipts coalesced on one node cross to the other: the one sent at once and the batch", async () => {
    let now = Date.now();
    const c = await startServer({ config: { busUrl: redis.url, databaseUrl: db.url, jwtSecret: JWT_SECRET }, clock: { now: () => now } });
    try {
      const room = await createRoom(a.url, alice);
      const reporters = [await register(c.url), await register(c.url), await register(c.url)];
      for (const r of reporters) expect((await api(c.url, "POST", `/api/rooms/${room}/join`, undefined, r.accessToken)).status).toBe(200);
      const watcher = await Client.connect(b, alice);
      const cs = await Promise.all(reporters.map((r) => Client.connect(c, r)));
      const ack = await send(watcher, room, "m-depth-78");
      await Promise.all([watcher, ...cs].map((x) => x.waitEvents(room, 1, "message"))); // each socket now takes the room's signals
      const seq = ack.event.seq;
      for (const x of cs) expect((await x.request({ type: "delivered", room, seq })).seq).toBe(seq);
      // Node C's clock stands still: the first mark went out at once, the other two are held there.
      expect(await watcher.next((f) => f.type === "receipt" && f.room === room)).toMatchObject({ userId: reporters[0].user.id, delivered: seq });
      now += DELIVERED_RECEIPTS_MS;
      const batch = await watcher.next((f) => f.type === "marks" && f.room === room);
      expect(batch.marks.map((m: { userId: string }) => m.userId).sort()).toEqual([reporters[1].user.id, reporters[2].user.id].sort());
      expect(batch.marks.every((m: { delivered: number }) => m.delivered === seq)).toBe(true);
      for (const x of [watcher, ...cs]) x.close();
    } finally {
      await c.stop();
    }
  });

  test("CLUSTER-BUS-3 a mute set through node A is enforced by node B as soon as B shows it (B had the old policy cached)", async () => {
    const room = await sharedRoom();
    const cb = await Client.connect(b, bob);
    expect((await send(cb, room, "m3-before")).type).toBe("ok"); // B now caches the room's policy: not muted
    expect((await api(a.url, "POST", `/api/rooms/${room}/members/${bob.user.id}/mute`, { seconds: 600 }, alice.accessToken)).status).toBe(200);
    await cb.next((f) => f.type === "event" && f.event.kind === "member" && f.event.change === "mute");
    expect(await send(cb, room, "m3-muted")).toMatchObject({ type: "error", code: "forbidden" });
    cb.close();
  });

  test("CLUSTER-BUS-4 a kick through node A takes the room from bob's socket on node B; a deactivation through A closes his socket on B", async () => {
    const [room, other] = [await sharedRoom(), await sharedRoom()];
    const [ca, cb] = await Promise.all([Client.connect(a, alice), Client.connect(b, bob)]);
    expect((await api(a.url, "DELETE", `/api/rooms/${room}/members/${bob.user.id}`, undefined, alice.accessToken)).status).toBe(204);
    await cb.next((f) => f.type === "event" && f.event.room === room && f.event.kind === "member" && f.event.change === "kick");
    expect(await send(cb, room, "m4-kicked")).toMatchObject({ type: "error" });
    await send(ca, room, "m4-after-kick");
    await send(ca, other, "m4-marker"); // sent later by the same node: once it is in, the kicked room's message would be too
    await cb.waitEvents(other, 1, "message");
    expect(bodies(cb.events(room))).toEqual([]);

    const victim = await register(b.url);
    const cv = await Client.connect(b, victim);
    expect((await api(a.url, "POST", `/api/admin/users/${victim.user.id}/deactivate`, undefined, admin.accessToken)).status).toBe(204);
    expect((await cv.closed).code).toBe(4003);
    ca.close();
    cb.close();
  });

  test("CLUSTER-BUS-5 a join through node A reaches the user's socket on node B, which does not watch the room yet, and catches it up", async () => {
    const room = await createRoom(a.url, alice);
    const ca = await Client.connect(a, alice);
    await send(ca, room, "m5-before-join");
    const carol = await register(b.url);
    const cc = await Client.connect(b, carol);
    expect((await api(a.url, "POST", `/api/rooms/${room}/join`, undefined, carol.accessToken)).status).toBe(200);
    await cc.next((f) => f.type === "event" && f.event.room === room && f.event.kind === "member" && f.event.userId === carol.user.id);
    await send(ca, room, "m5-after-join");
    expect(bodies(await cc.waitEvents(room, 1, "message"))).toEqual(["m5-after-join"]);
    expect(await send(cc, room, "m5-from-carol")).toMatchObject({ type: "ok" });
    ca.close();
    cc.close();
  });
});

describe("bus outage", () => {
  test(
    "CLUSTER-BUS-6 Redis killed and restarted mid-traffic: node B's member gets every message once, in order, and a quiet room's last message sent during the outage",
    async () => {
      const [room, quiet] = [await sharedRoom(), await sharedRoom()];
      const [ca, cb] = await Promise.all([Client.connect(a, alice), Client.connect(b, bob)]);
      const tags: string[] = [];
      const next = async (tag: string) => {
        tags.push(tag);
        expect((await send(ca, room, tag)).type).toBe("ok"); // acked after commit, bus or no bus
      };
      for (let i = 0; i < 30; i++) await next(`m6-${i}`);
      await cb.waitEvents(room, 10, "message"); // traffic is flowing to B
      const killed = redis.kill();
      for (let i = 30; i < 60; i++) await next(`m6-${i}`);
      await killed;
      for (let i = 60; i < 90; i++) await next(`m6-${i}`);
      expect((await send(ca, quiet, "m6-quiet-last")).type).toBe("ok"); // the quiet room's last message: published while the bus is down
      await redis.restart();
      for (let i = 90; i < 120; i++) await next(`m6-${i}`);

      const got = await cb.waitEvents(room, tags.length, "message");
      expect(bodies(got)).toEqual(tags);
      expectGapless(cb.events(room));
      expect(bodies(await cb.waitEvents(quiet, 1, "message"))).toEqual(["m6-quiet-last"]);
      ca.close();
      cb.close();
    },
    CHECK_WAIT_MS * 2,
  );

  test(
    "CLUSTER-BUS-7 an event whose publish was lost with no reconnect anywhere (the last one of a quiet room) arrives with the periodic check",
    async () => {
      const room = await sharedRoom();
      const cb = await Client.connect(b, bob);
      // Stored through node A's store, never published: as if A's publish was lost while B stayed connected.
      const [lost] = await a.ctx.store.append([
        { room, kind: "message", sender: alice.user.id, ts: Date.now(), msgId: crypto.randomUUID(), clientMsgId: "m7-lost", body: "m7-lost" },
      ]);
      const deadline = Date.now() + CHECK_WAIT_MS;
      while (!cb.events(room).some((e) => e.seq === lost.event.seq)) {
        if (Date.now() > deadline) throw new Error("the lost event never arrived");
        await cb.next((f) => f.type === "event" && f.event.room === room, { from: cb.frames.length, timeoutMs: Math.max(1, deadline - Date.now()) }).catch(() => undefined);
      }
      expect(bodies(cb.events(room))).toEqual(["m7-lost"]);
      cb.close();
    },
    CHECK_WAIT_MS * 2,
  );
});
