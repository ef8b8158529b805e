// Rooms over real HTTP: create, discover, join, leave, invite, kick, DMs, and what non-members learn.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";

let s: TestServer;
let alice: Session;
let bob: Session;
let carol: Session;

beforeAll(async () => {
  s = await startServer();
  [alice, bob, carol] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

const get = (path: string, who: Session) => api(s.url, "GET", path, undefined, who.accessToken);
const post = (path: string, who: Session, body?: unknown) => api(s.url, "POST", path, body, who.accessToken);

describe("rooms", () => {
  test("ROOM-1 create: 201, caller is owner, the room starts with the owner's join event", async () => {
    const r = await post("/api/rooms", alice, { name: "general", kind: "public", topic: "all things" });
    expect(r.status).toBe(201);
    expect(r.body.room).toMatchObject({ name: "general", kind: "public", topic: "all things", lastSeq: 1, role: "owner" });
    const h = await get(`/api/rooms/${r.body.room.id}/messages`, alice);
    expect(h.body.events[0]).toMatchObject({ seq: 1, kind: "member", userId: alice.user.id, change: "join" });
  });

  test("ROOM-2 create validates name and kind", async () => {
    expect((await post("/api/rooms", alice, { name: "", kind: "public" })).status).toBe(400);
    expect((await post("/api/rooms", alice, { name: "x", kind: "dm" })).status).toBe(400);
    expect((await post("/api/rooms", alice, { name: "x".repeat(81), kind: "public" })).status).toBe(400);
    expect((await api(s.url, "POST", "/api/rooms", { name: "x", kind: "public" })).status).toBe(401);
  });

  test("ROOM-3 public rooms are discoverable and joinable; private rooms are neither", async () => {
    const pub = await createRoom(s.url, alice, "public", "lobby");
    const priv = await createRoom(s.url, alice, "private", "secret-plans");
    const list = (await get("/api/rooms/public", bob)).body.rooms.map((r: any) => r.id);
    expect(list).toContain(pub);
    expect(list).not.toContain(priv);
    const j = await post(`/api/rooms/${pub}/join`, bob);
    expect(j.status).toBe(200);
    expect(j.body.room.id).toBe(pub);
    expect((await post(`/api/rooms/${pub}/join`, bob)).status).toBe(200); // idempotent
    const jp = await post(`/api/rooms/${priv}/join`, bob);
    expect(jp.status).toBe(404);
    expect((await post(`/api/rooms/nope/join`, bob)).status).toBe(404);
    const mine = (await get("/api/rooms", bob)).body.rooms;
    expect(mine.map((r: any) => r.id)).toContain(pub);
    expect(mine.map((r: any) => r.id)).not.toContain(priv);
  });

  test("ROOM-4 private rooms: only admins add people; the added member can then read", async () => {
    const priv = await createRoom(s.url, alice, "private");
    expect((await post(`/api/rooms/${priv}/members`, bob, { username: carol.user.username })).status).toBe(404);
    const add = await post(`/api/rooms/${priv}/members`, alice, { username: bob.user.username });
    expect(add.status).toBe(201);
    expect((await post(`/api/rooms/${priv}/members`, alice, { username: bob.user.username })).status).toBe(409);
    expect((await post(`/api/rooms/${priv}/members`, bob, { username: carol.user.username })).status).toBe(403);
    expect((await post(`/api/rooms/${priv}/members`, alice, { username: "nobody-here" })).status).toBe(404);
    const h = await get(`/api/rooms/${priv}/messages`, bob);
    expect(h.status).toBe(200);
    expect(h.body.events.at(-1)).toMatchObject({ kind: "member", change: "invite", userId: bob.user.id });
  });

  test("ROOM-5 leave: 204, then the room is gone from my list and history is 403", async () => {
    const pub = await createRoom(s.url, alice);
    await post(`/api/rooms/${pub}/join`, carol);
    const l = await post(`/api/rooms/${pub}/leave`, carol);
    expect(l.status).toBe(204);
    expect((await get("/api/rooms", carol)).body.rooms.map((r: any) => r.id)).not.toContain(pub);
    expect((await get(`/api/rooms/${pub}/messages`, carol)).status).toBe(403);
    expect((await post(`/api/rooms/${pub}/leave`, carol)).status).toBe(403);
  });

  test("ROOM-6 kick: only admins/owners, never the owner", async () => {
    const pub = await createRoom(s.url, alice);
    await post(`/api/rooms/${pub}/join`, bob);
    await post(`/api/rooms/${pub}/join`, carol);
    expect((await api(s.url, "DELETE", `/api/rooms/${pub}/members/${carol.user.id}`, undefined, bob.accessToken)).status).toBe(403);
    expect((await api(s.url, "DELETE", `/api/rooms/${pub}/members/${carol.user.id}`, undefined, alice.accessToken)).status).toBe(204);
    expect((await api(s.url, "DELETE", `/api/rooms/${pub}/members/${carol.user.id}`, undefined, alice.accessToken)).status).toBe(404);
    expect((await api(s.url, "DELETE", `/api/rooms/${pub}/members/${alice.user.id}`, undefined, alice.accessToken)).status).toBe(403);
  });

  test("ROOM-7 POST /api/dm returns the same room for a pair every time, from either side, even when raced", async () => {
    const [d1, d2] = await Promise.all([post("/api/dm", alice, { username: carol.user.username }), post("/api/dm", carol, { username: alice.user.username })]);
    expect(d1.status).toBe(200);
    expect(d1.body.room.id).toBe(d2.body.room.id);
    expect(d1.body.room.kind).toBe("dm");
    expect((await post("/api/dm", alice, { username: carol.user.username.toUpperCase() })).body.room.id).toBe(d1.body.room.id);
    expect(d1.body.room.peer.id).toBe(carol.user.id);
    const mine = (await get("/api/rooms", alice)).body.rooms.find((r: any) => r.id === d1.body.room.id);
    expect(mine.peer.username).toBe(carol.user.username);
    // Exactly two members; nobody else can join or be added; a DM cannot be left.
    expect((await post(`/api/rooms/${d1.body.room.id}/join`, bob)).status).toBe(404);
    expect((await post(`/api/rooms/${d1.body.room.id}/members`, alice, { username: bob.user.username })).status).toBe(403);
    expect((await post(`/api/rooms/${d1.body.room.id}/leave`, alice)).status).toBe(403);
    expect((await get(`/api/rooms/${d1.body.room.id}/messages`, bob)).status).toBe(404);
    expect((await post("/api/dm", alice, { username: alice.user.username })).status).toBe(400);
    expect((await post("/api/dm", alice, { username: "no-such-user" })).status).toBe(404);
  });

  test("ROOM-8 GET /api/rooms carries lastSeq, lastReadSeq and unread; a new member's mark starts at their join", async () => {
    const pub = await createRoom(s.url, alice);
    const a = await Client.connect(s, alice);
    for (let i = 0; i < 3; i++) await a.request({ type: "send", room: pub, clientMsgId: `pre-${i}`, body: "before bob" });
    await post(`/api/rooms/${pub}/join`, bob);
    for (let i = 0; i < 2; i++) await a.request({ type: "send", room: pub, clientMsgId: `post-${i}`, body: "after bob" });
    const r = (await get("/api/rooms", bob)).body.rooms.find((x: any) => x.id === pub);
    expect(r.lastSeq).toBe(7);
    expect(r.lastReadSeq).toBe(5);
    expect(r.unread).toBe(2);
    const mine = (await get("/api/rooms", alice)).body.rooms.find((x: any) => x.id === pub);
    expect(mine.unread).toBe(0); // own messages never count
    a.close();
  });

  test("ROOM-9 unknown endpoints answer JSON 404", async () => {
    const r = await get("/api/nope", alice);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("not_found");
  });
});
