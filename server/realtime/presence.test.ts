// Presence over real sockets: two connections of one user, disconnect with grace, away by inactivity, dnd.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../test/harness";

let s: TestServer;
let now = Date.now();
let alice: Session;
let bob: Session;
let witness: Session;
let room: string;

beforeAll(async () => {
  s = await startServer({ config: { presenceGraceMs: 100, awayAfterMs: 60_000 }, clock: { now: () => now } });
  [alice, bob, witness] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
  room = await createRoom(s.url, alice);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, witness.accessToken);
});
afterAll(() => s.stop());

const presenceOf = (c: Client, userId: string, from = 0) => c.next((f) => f.type === "presence" && f.userId === userId, { from });

/** Polls a server-side condition every few ms; fails after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

const socketsOf = (userId: string) => [...s.ctx.hub.socketsOf(userId)].length;

/**
 * Barrier for "no presence frame was announced": the witness (a member of `room`) connects and
 * disconnects, and we wait until `observer` hears it go offline. Offline is announced by a timer of
 * presenceGraceMs started when the last socket closes; the witness's timer starts after every close
 * the server had processed before (callers check that with `socketsOf`), so any offline those closes
 * would have caused fired first and went to the same room, i.e. reached `observer` first.
 * Resolves with the witness's presence frames seen from `from` on (its online, then its offline).
 */
async function presenceBarrier(observer: Client, from: number): Promise<any[]> {
  const w = await Client.connect(s, witness);
  w.close();
  await observer.next((f) => f.type === "presence" && f.userId === witness.user.id && f.status === "offline", { from });
  return observer.frames.slice(from).filter((f) => f.type === "presence" && f.userId === witness.user.id);
}

describe("presence", () => {
  test("PRES-1 online while any connection is open; offline (with lastSeen) only after the last closes and the grace passes", async () => {
    const b = await Client.connect(s, bob);
    let from = b.frames.length;
    const a1 = await Client.connect(s, alice);
    expect((await presenceOf(b, alice.user.id, from)).status).toBe("online");
    const a2 = await Client.connect(s, alice);
    a1.close();
    await a1.closed;
    await until(() => socketsOf(alice.user.id) === 1, "the server to see a1 close");
    const marker = await a2.request({ type: "send", room, clientMsgId: "p-1", body: "still here" });
    await b.next((f) => f.type === "event" && f.event.seq === marker.event.seq);
    // Instead of sleeping past the grace: an offline caused by a1's close would have reached b before the witness's.
    expect((await presenceBarrier(b, b.frames.length)).map((f) => f.status)).toEqual(["online", "offline"]);
    expect(b.frames.filter((f) => f.type === "presence" && f.userId === alice.user.id)).toHaveLength(1); // no offline yet
    from = b.frames.length;
    a2.close();
    const off = await presenceOf(b, alice.user.id, from);
    expect(off.status).toBe("offline");
    expect(off.lastSeen).toBe(now);
    // lastSeen reaches the database in a batched write (at most one statement a second).
    await until(async () => (await s.ctx.store.userById(alice.user.id))!.lastSeen === now, "lastSeen to be written");
    expect((await s.ctx.store.userById(alice.user.id))!.lastSeen).toBe(now);
    b.close();
  });

  test("PRES-2 a connection that drops and comes back within the grace period announces nothing", async () => {
    const b = await Client.connect(s, bob);
    const a1 = await Client.connect(s, alice);
    await presenceOf(b, alice.user.id);
    const from = b.frames.length;
    a1.close();
    await a1.closed;
    await until(() => socketsOf(alice.user.id) === 0, "the server to see a1 close"); // a real drop: the grace timer runs
    const a2 = await Client.connect(s, alice);
    const marker = await a2.request({ type: "send", room, clientMsgId: "p-2", body: "flap" });
    await b.next((f) => f.type === "event" && f.event.seq === marker.event.seq);
    // Instead of sleeping past the grace: an offline from a1's timer would have reached b before the witness's.
    await presenceBarrier(b, b.frames.length);
    expect(b.frames.slice(from).filter((f) => f.type === "presence").map((f) => [f.userId, f.status])).toEqual([
      [witness.user.id, "online"],
      [witness.user.id, "offline"],
    ]);
    a2.close();
    await presenceOf(b, alice.user.id, b.frames.length);
    b.close();
  });

  test("PRES-3 welcome carries the presence of people in my rooms", async () => {
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    expect(b.frames[0].presence).toContainEqual(expect.objectContaining({ userId: alice.user.id, status: "online" }));
    a.close();
    b.close();
    // The next test needs both offline (past the grace) so that connecting announces "online" again.
    await until(() => s.ctx.presence.of(alice.user.id).status === "offline" && s.ctx.presence.of(bob.user.id).status === "offline", "alice and bob to go offline");
  });

  test("PRES-4 away after inactivity (clock injected), back to online on activity; dnd when set", async () => {
    const b = await Client.connect(s, bob);
    const a = await Client.connect(s, alice);
    await presenceOf(b, alice.user.id, 1);
    let from = b.frames.length;
    now += s.ctx.config.awayAfterMs + 1;
    a.send({ type: "ping" }); // a heartbeat is not activity
    await a.next((f) => f.type === "pong");
    s.ctx.presence.sweep();
    expect((await presenceOf(b, alice.user.id, from)).status).toBe("away");
    from = b.frames.length;
    a.send({ type: "typing", room });
    expect((await presenceOf(b, alice.user.id, from)).status).toBe("online");
    from = b.frames.length;
    expect((await a.request({ type: "presence", status: "dnd" })).type).toBe("ok");
    expect((await presenceOf(b, alice.user.id, from)).status).toBe("dnd");
    const members = await api(s.url, "GET", `/api/rooms/${room}/members`, undefined, bob.accessToken);
    expect(members.body.members.find((m: any) => m.user.id === alice.user.id).presence.status).toBe("dnd");
    a.close();
    b.close();
  });

  test("PRES-5 presence goes only to users who share a room", async () => {
    const stranger = await register(s.url);
    const x = await Client.connect(s, stranger);
    const b = await Client.connect(s, bob);
    const a = await Client.connect(s, alice);
    await a.request({ type: "presence", status: "away" });
    await b.next((f) => f.type === "presence" && f.userId === alice.user.id && f.status === "away");
    const marker = await createRoom(s.url, stranger);
    await x.next((f) => f.type === "event" && f.event.room === marker);
    expect(x.frames.some((f) => f.type === "presence" && f.userId === alice.user.id)).toBe(false);
    for (const c of [a, b, x]) c.close();
  });
});

describe("presence on join", () => {
  test("PRES-6 joining a room introduces both ways: members hear the newcomer, the newcomer hears the members", async () => {
    const carol = await register(s.url);
    const fresh = await createRoom(s.url, alice);
    const a = await Client.connect(s, alice);
    const c = await Client.connect(s, carol);
    const fromA = a.frames.length;
    await api(s.url, "POST", `/api/rooms/${fresh}/join`, undefined, carol.accessToken);
    expect((await presenceOf(a, carol.user.id, fromA)).status).toBe("online");
    expect((await presenceOf(c, alice.user.id)).status).not.toBe("offline");
    a.close();
    c.close();
  });
});

describe("many leaving at once", () => {
  test("PRES-7 600 users whose grace periods end together all go offline (announced a slice per turn); one back before the end stays online", async () => {
    const p = s.ctx.presence;
    const ids = Array.from({ length: 600 }, (_, i) => `pres7-${i}-${Math.random().toString(36).slice(2)}`);
    for (const id of ids) p.connected(id);
    for (const id of ids) p.disconnected(id, new Set());
    p.connected(ids[599]); // back within the grace period: its timer is cleared
    await until(() => ids.slice(0, 599).every((id) => p.of(id).status === "offline"), "599 users offline");
    expect(p.of(ids[599]).status).toBe("online");
    p.disconnected(ids[599], new Set());
    await until(() => p.of(ids[599]).status === "offline", "the last one offline");
  });
});
