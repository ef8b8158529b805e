// Moderation over real sockets and HTTP: ban, mute, slow mode, topic/name, account deactivation.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";

let s: TestServer;
let now = Date.now();
let admin: Session; // first account: server admin
let alice: Session;
let bob: Session;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 10_000, writeRatePerSec: 10_000 }, clock: { now: () => now } });
  admin = await register(s.url);
  [alice, bob] = await Promise.all([register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

async function roomWithBob() {
  const room = await createRoom(s.url, alice);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
  return room;
}
const send = (c: Client, room: string, body = "hi") => c.request({ type: "send", room, clientMsgId: crypto.randomUUID(), body });

describe("moderation", () => {
  test("MOD-BAN-1 a banned user's live socket stops receiving the room at once; they cannot rejoin or be re-added", async () => {
    const room = await roomWithBob();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    expect((await api(s.url, "POST", `/api/rooms/${room}/bans`, { userId: bob.user.id }, bob.accessToken)).status).toBe(403);
    const ban = await api(s.url, "POST", `/api/rooms/${room}/bans`, { userId: bob.user.id }, alice.accessToken);
    expect(ban.status).toBe(201);
    await b.next((f) => f.type === "event" && f.event.kind === "member" && f.event.change === "ban");
    const secret = await send(a, room, "after the ban");
    const marker = await createRoom(s.url, bob);
    await b.next((f) => f.type === "event" && f.event.room === marker);
    expect(b.events(room).some((e) => e.seq === secret.event.seq)).toBe(false);
    expect((await send(b, room)).code).toBe("forbidden");
    expect((await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken)).status).toBe(403);
    expect((await api(s.url, "POST", `/api/rooms/${room}/members`, { username: bob.user.username }, alice.accessToken)).status).toBe(403);
    expect((await api(s.url, "POST", `/api/rooms/${room}/bans`, { userId: bob.user.id }, alice.accessToken)).status).toBe(409);
    expect((await api(s.url, "DELETE", `/api/rooms/${room}/bans/${bob.user.id}`, undefined, alice.accessToken)).status).toBe(204);
    expect((await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken)).status).toBe(200);
    expect((await api(s.url, "POST", `/api/rooms/${room}/bans`, { userId: alice.user.id }, alice.accessToken)).status).toBe(400);
    a.close();
    b.close();
  });

  test("MOD-MUTE-1 a muted member cannot send until the time is up; 0 lifts it; members cannot mute", async () => {
    const room = await roomWithBob();
    const b = await Client.connect(s, bob);
    expect((await api(s.url, "POST", `/api/rooms/${room}/members/${alice.user.id}/mute`, { seconds: 60 }, bob.accessToken)).status).toBe(403);
    expect((await api(s.url, "POST", `/api/rooms/${room}/members/${bob.user.id}/mute`, { seconds: 60 }, alice.accessToken)).status).toBe(200);
    const ev = await b.next((f) => f.type === "event" && f.event.change === "mute");
    expect(ev.event.until).toBe(now + 60_000);
    const r = await send(b, room);
    expect(r.code).toBe("forbidden");
    expect(r.message).toContain("muted");
    now += 61_000;
    expect((await send(b, room)).type).toBe("ok");
    await api(s.url, "POST", `/api/rooms/${room}/members/${bob.user.id}/mute`, { seconds: 600 }, alice.accessToken);
    expect((await send(b, room)).code).toBe("forbidden");
    await api(s.url, "POST", `/api/rooms/${room}/members/${bob.user.id}/mute`, { seconds: 0 }, alice.accessToken);
    expect((await send(b, room)).type).toBe("ok");
    expect((await api(s.url, "POST", `/api/rooms/${room}/members/${bob.user.id}/mute`, { seconds: -1 }, alice.accessToken)).status).toBe(400);
    b.close();
  });

  test("MOD-SLOW-1 slow mode: one message per N seconds per member, admins exempt; rate_limited with retryAfterMs", async () => {
    const room = await roomWithBob();
    const a = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const p = await api(s.url, "PATCH", `/api/rooms/${room}`, { slowModeSec: 30 }, alice.accessToken);
    expect(p.status).toBe(200);
    expect(p.body.room.slowModeSec).toBe(30);
    await b.next((f) => f.type === "event" && f.event.kind === "room" && f.event.slowModeSec === 30);
    expect((await send(b, room)).type).toBe("ok");
    const limited = await send(b, room);
    expect(limited.code).toBe("rate_limited");
    expect(limited.retryAfterMs).toBe(30_000);
    expect((await send(a, room)).type).toBe("ok");
    expect((await send(a, room)).type).toBe("ok");
    now += 30_000;
    expect((await send(b, room)).type).toBe("ok");
    a.close();
    b.close();
  });

  test("MOD-ROOM-1 admins set name and topic (a room event); members cannot; bad values are 400", async () => {
    const room = await roomWithBob();
    const b = await Client.connect(s, bob);
    expect((await api(s.url, "PATCH", `/api/rooms/${room}`, { topic: "x" }, bob.accessToken)).status).toBe(403);
    const r = await api(s.url, "PATCH", `/api/rooms/${room}`, { name: "renamed", topic: "new topic" }, alice.accessToken);
    expect(r.body.room).toMatchObject({ name: "renamed", topic: "new topic" });
    const ev = await b.next((f) => f.type === "event" && f.event.kind === "room");
    expect(ev.event).toMatchObject({ name: "renamed", topic: "new topic" });
    expect((await api(s.url, "PATCH", `/api/rooms/${room}`, { name: "  " }, alice.accessToken)).status).toBe(400);
    expect((await api(s.url, "PATCH", `/api/rooms/${room}`, {}, alice.accessToken)).status).toBe(400);
    expect((await api(s.url, "PATCH", `/api/rooms/${room}`, { slowModeSec: 99999 }, alice.accessToken)).status).toBe(400);
    b.close();
  });

  test("MOD-ADMIN-1 a server admin deactivates an account: its sockets close with 4003, its tokens stop working", async () => {
    const victim = await register(s.url);
    const c = await Client.connect(s, victim);
    expect((await api(s.url, "POST", `/api/admin/users/${victim.user.id}/deactivate`, undefined, alice.accessToken)).status).toBe(403);
    expect((await api(s.url, "POST", `/api/admin/users/${victim.user.id}/deactivate`, undefined, admin.accessToken)).status).toBe(204);
    expect((await c.closed).code).toBe(4003);
    expect((await api(s.url, "GET", "/api/me", undefined, victim.accessToken)).status).toBe(403);
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: victim.refreshToken })).status).toBe(401);
    const again = new Client(s.wsUrl);
    await again.opened;
    again.send({ type: "hello", token: victim.accessToken });
    expect((await again.closed).code).toBe(4003);
    expect((await api(s.url, "POST", `/api/admin/users/nobody/deactivate`, undefined, admin.accessToken)).status).toBe(404);
  });
});
