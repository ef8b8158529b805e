// Room roles over HTTP and sockets (contract: "Room roles"): set a member's role, hand over ownership.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";

let s: TestServer;
let owner: Session;
let adminA: Session;
let member: Session;
let other: Session;
let outsider: Session;

beforeAll(async () => {
  s = await startServer();
  [owner, adminA, member, other, outsider] = await Promise.all([register(s.url), register(s.url), register(s.url), register(s.url), register(s.url)]);
});
afterAll(() => s.stop());

const setRole = (room: string, userId: string, role: unknown, who: Session) => api(s.url, "PUT", `/api/rooms/${room}/members/${userId}/role`, { role }, who.accessToken);
const roleOf = async (room: string, userId: string) =>
  (await api(s.url, "GET", `/api/rooms/${room}/members`, undefined, owner.accessToken)).body.members.find((m: { user: { id: string } }) => m.user.id === userId)?.role;

/** A public room: owner, one admin, two members. */
async function team() {
  const room = await createRoom(s.url, owner);
  for (const u of [adminA, member, other]) await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, u.accessToken);
  expect((await setRole(room, adminA.user.id, "admin", owner)).status).toBe(200);
  return room;
}

describe("room roles", () => {
  test("TEAM-30 the owner sets a role: 200 and a `member` event with change \"role\" and the role, seen by members", async () => {
    const room = await team();
    const c = await Client.connect(s, member);
    const r = await setRole(room, member.user.id, "admin", owner);
    expect(r.status).toBe(200);
    const ev = await c.next((f) => f.type === "event" && f.event.room === room && f.event.change === "role");
    expect(ev.event).toMatchObject({ kind: "member", sender: owner.user.id, userId: member.user.id, change: "role", role: "admin" });
    expect(await roleOf(room, member.user.id)).toBe("admin");
    expect((await setRole(room, member.user.id, "member", owner)).status).toBe(200);
    expect(await roleOf(room, member.user.id)).toBe("member");
    c.close();
  });

  test("TEAM-31 an admin may only make members admins; members and non-members may do nothing (403/404)", async () => {
    const room = await team();
    expect((await setRole(room, member.user.id, "admin", adminA)).status).toBe(200);
    expect((await setRole(room, member.user.id, "member", adminA)).status).toBe(403); // demoting an admin
    expect((await setRole(room, owner.user.id, "member", adminA)).status).toBe(403);
    expect((await setRole(room, other.user.id, "admin", member)).status).toBe(200); // member is an admin now
    expect((await setRole(room, adminA.user.id, "member", owner)).status).toBe(200);
    expect((await setRole(room, other.user.id, "member", adminA)).status).toBe(403); // adminA is a member again
    expect((await setRole(room, owner.user.id, "admin", owner)).status).toBe(403); // the owner's role changes by handing over only
    expect((await setRole(room, outsider.user.id, "admin", owner)).status).toBe(404);
    expect((await setRole(room, member.user.id, "admin", outsider)).status).toBe(403); // public room, not a member
    for (const bad of ["owner", "boss", 1, undefined]) expect((await setRole(room, member.user.id, bad, owner)).status).toBe(400);
    expect((await api(s.url, "PUT", `/api/rooms/${room}/members/${member.user.id}/role`, { role: "admin" })).status).toBe(401);
    const priv = await createRoom(s.url, owner, "private");
    expect((await setRole(priv, member.user.id, "admin", outsider)).status).toBe(404);
  });

  test("TEAM-32 POST /api/rooms/:id/owner: the owner hands the room to a member (now owner) and becomes an admin; two `member` events", async () => {
    const room = await team();
    const c = await Client.connect(s, other);
    expect((await api(s.url, "POST", `/api/rooms/${room}/owner`, { userId: member.user.id }, adminA.accessToken)).status).toBe(403);
    expect((await api(s.url, "POST", `/api/rooms/${room}/owner`, { userId: outsider.user.id }, owner.accessToken)).status).toBe(404);
    expect((await api(s.url, "POST", `/api/rooms/${room}/owner`, { userId: owner.user.id }, owner.accessToken)).status).toBe(400);
    expect((await api(s.url, "POST", `/api/rooms/${room}/owner`, {}, owner.accessToken)).status).toBe(400);
    expect((await api(s.url, "POST", `/api/rooms/${room}/owner`, { userId: member.user.id })).status).toBe(401);
    const r = await api(s.url, "POST", `/api/rooms/${room}/owner`, { userId: member.user.id }, owner.accessToken);
    expect(r.status).toBe(200);
    await c.next((f) => f.type === "event" && f.event.room === room && f.event.change === "role" && f.event.userId === owner.user.id);
    const roles = c.events(room).filter((e) => e.kind === "member" && e.change === "role").map((e) => [(e as { userId: string }).userId, (e as { role?: string }).role]);
    expect(roles).toEqual([[member.user.id, "owner"], [owner.user.id, "admin"]]);
    expect(await roleOf(room, member.user.id)).toBe("owner");
    expect(await roleOf(room, owner.user.id)).toBe("admin");
    // The new owner rules: the old one cannot hand it back or demote the new owner.
    expect((await api(s.url, "POST", `/api/rooms/${room}/owner`, { userId: owner.user.id }, owner.accessToken)).status).toBe(403);
    expect((await setRole(room, owner.user.id, "member", member)).status).toBe(200);
    c.close();
  });

  test("TEAM-33 a direct message has no roles (403)", async () => {
    const dm = (await api(s.url, "POST", "/api/dm", { username: member.user.username }, owner.accessToken)).body.room.id;
    expect((await setRole(dm, member.user.id, "admin", owner)).status).toBe(403);
    expect((await api(s.url, "POST", `/api/rooms/${dm}/owner`, { userId: member.user.id }, owner.accessToken)).status).toBe(403);
  });
});
