// Registration modes and invites over HTTP (contract: "Registration modes and invites").

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../config";
import { Client, api, createRoom, register, startServer, uniqueName, type Session, type TestServer } from "../../test/harness";

let s: TestServer;
let now = Date.now();
let admin: Session; // the first account
let alice: Session; // registered with an invite

const signUp = (code?: string, name = uniqueName()) =>
  api(s.url, "POST", "/api/auth/register", { username: name, password: "correct horse battery", ...(code !== undefined ? { inviteCode: code } : {}) });
const createInvite = (body: object, token = admin.accessToken) => api(s.url, "POST", "/api/invites", body, token);

beforeAll(async () => {
  s = await startServer({ config: { registration: "invite" }, clock: { now: () => now } });
  const first = await signUp();
  expect(first.status).toBe(201);
  admin = first.body;
  const inv = await createInvite({});
  alice = (await signUp(inv.body.invite.code)).body;
});
afterAll(() => s.stop());

describe("registration modes", () => {
  test("TEAM-1 --registration: default invite, a flag wins over PARLEY_REGISTRATION, anything else is refused", () => {
    expect(loadConfig([], {}).registration).toBe("invite");
    expect(loadConfig([], { PARLEY_REGISTRATION: "open" }).registration).toBe("open");
    expect(loadConfig(["--registration", "closed"], { PARLEY_REGISTRATION: "open" }).registration).toBe("closed");
    expect(() => loadConfig(["--registration", "sometimes"], {})).toThrow(ConfigError);
  });

  test("TEAM-2 invite mode: the first account registers and is the server admin; later ones need a valid invite (403 invite_required / invalid_invite)", async () => {
    expect(admin.user.isAdmin).toBe(true);
    expect(alice.user.isAdmin).toBe(false);
    const none = await signUp();
    expect([none.status, none.body.error.code]).toEqual([403, "invite_required"]);
    const unknown = await signUp("no-such-code");
    expect([unknown.status, unknown.body.error.code]).toEqual([403, "invalid_invite"]);
    const huge = await signUp("x".repeat(5000));
    expect(huge.status).toBe(400);
  });

  test("TEAM-3 closed mode refuses every registration, invites included, except the very first account; open mode lets anyone in", async () => {
    const closed = await startServer({ config: { registration: "closed" } });
    try {
      const first = await api(closed.url, "POST", "/api/auth/register", { username: uniqueName(), password: "correct horse battery" });
      expect([first.status, first.body.user.isAdmin]).toEqual([201, true]);
      const code = (await api(closed.url, "POST", "/api/invites", {}, first.body.accessToken)).body.invite.code;
      const second = await api(closed.url, "POST", "/api/auth/register", { username: uniqueName(), password: "correct horse battery", inviteCode: code });
      expect([second.status, second.body.error.code]).toEqual([403, "registration_closed"]);
    } finally {
      await closed.stop();
    }
    const open = await startServer({ config: { registration: "open" } });
    try {
      await register(open.url);
      const b = await register(open.url);
      expect(b.user.isAdmin).toBe(false);
    } finally {
      await open.stop();
    }
  });
});

describe("invites", () => {
  test("TEAM-4 POST /api/invites: server admins get 201 with the invite (defaults 1 use, 7 days; a code of at least 128 bits); others 403, no token 401", async () => {
    const r = await createInvite({});
    expect(r.status).toBe(201);
    const i = r.body.invite;
    expect(i).toEqual({ code: expect.any(String), maxUses: 1, uses: 0, expiresAt: now + 604_800_000, rooms: [], createdBy: admin.user.id });
    expect(i.code).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect((await createInvite({}, alice.accessToken)).status).toBe(403);
    expect((await api(s.url, "POST", "/api/invites", {})).status).toBe(401);
    expect((await api(s.url, "GET", "/api/invites", undefined, alice.accessToken)).status).toBe(403);
    expect((await api(s.url, "DELETE", `/api/invites/${i.code}`, undefined, alice.accessToken)).status).toBe(403);
    expect((await api(s.url, "GET", "/api/invites")).status).toBe(401);
  });

  test("TEAM-5 POST /api/invites refuses malformed bodies (400) and rooms the admin may not add people to (403/404)", async () => {
    for (const body of [{ maxUses: 0 }, { maxUses: 1001 }, { maxUses: "two" }, { maxUses: 1.5 }, { expiresInSec: 59 }, { expiresInSec: 2_592_001 }, { rooms: "r" }, { rooms: Array(101).fill("r") }]) {
      const r = await createInvite(body);
      expect([JSON.stringify(body), r.status, r.body?.error?.code]).toEqual([JSON.stringify(body), 400, "invalid_request"]);
    }
    expect((await api(s.url, "POST", "/api/invites", "{not json", admin.accessToken)).status).toBe(400);
    const theirs = await createRoom(s.url, alice, "private", "alice only");
    expect((await createInvite({ rooms: [theirs] })).status).toBe(404);
    const pub = await createRoom(s.url, alice, "public", "alice public");
    expect((await createInvite({ rooms: [pub] })).status).toBe(403); // not a member
    await api(s.url, "POST", `/api/rooms/${pub}/join`, undefined, admin.accessToken);
    expect((await createInvite({ rooms: [pub], maxUses: 1000, expiresInSec: 2_592_000 })).status).toBe(201);
    const priv = await createRoom(s.url, alice, "private", "alice private");
    await api(s.url, "POST", `/api/rooms/${priv}/members`, { username: admin.user.username }, alice.accessToken);
    expect((await createInvite({ rooms: [priv] })).status).toBe(403); // a member, not an admin there
  });

  test("TEAM-6 a registration with an invite consumes one use and joins the invite's rooms (member events); GET /api/invites lists live ones; GET /api/invites/:code needs no auth", async () => {
    const room = await createRoom(s.url, admin, "private", "welcome");
    const watcher = await Client.connect(s, admin);
    const r = await createInvite({ maxUses: 2, rooms: [room] });
    const code = r.body.invite.code;
    const peek = await api(s.url, "GET", `/api/invites/${code}`);
    expect(peek.status).toBe(200);
    expect(peek.body).toEqual({ invite: { expiresAt: r.body.invite.expiresAt, rooms: [{ name: "welcome" }] } });
    const joined = await signUp(code);
    expect(joined.status).toBe(201);
    const ev = await watcher.next((f) => f.type === "event" && f.event.room === room && f.event.kind === "member");
    expect(ev.event).toMatchObject({ change: "join", userId: joined.body.user.id });
    const mine = await api(s.url, "GET", "/api/rooms", undefined, joined.body.accessToken);
    expect(mine.body.rooms.map((x: { id: string }) => x.id)).toContain(room);
    const list = await api(s.url, "GET", "/api/invites", undefined, admin.accessToken);
    expect(list.body.invites.find((i: { code: string }) => i.code === code)).toMatchObject({ uses: 1, maxUses: 2, rooms: [room] });
    expect((await signUp(code)).status).toBe(201);
    expect((await api(s.url, "GET", `/api/invites/${code}`)).status).toBe(404); // used up
    watcher.close();
  });

  test("TEAM-7 used up, revoked, expired and unknown invites all answer 403 invalid_invite, and nothing is stored", async () => {
    const used = (await createInvite({})).body.invite.code;
    expect((await signUp(used)).status).toBe(201);
    const revoked = (await createInvite({})).body.invite.code;
    expect((await api(s.url, "DELETE", `/api/invites/${revoked}`, undefined, admin.accessToken)).status).toBe(204);
    expect((await api(s.url, "DELETE", `/api/invites/${revoked}`, undefined, admin.accessToken)).status).toBe(404);
    const expired = (await createInvite({ expiresInSec: 60 })).body.invite.code;
    now += 60_000;
    const name = uniqueName();
    for (const code of [used, revoked, expired, "unknown-code"]) {
      const r = await signUp(code, name);
      expect([r.status, r.body]).toEqual([403, { error: { code: "invalid_invite", message: expect.any(String) } }]);
      expect((await api(s.url, "GET", `/api/invites/${code}`)).status).toBe(404);
    }
    expect((await api(s.url, "POST", "/api/auth/login", { username: name, password: "correct horse battery" })).status).toBe(401);
    const listed = (await api(s.url, "GET", "/api/invites", undefined, admin.accessToken)).body.invites.map((i: { code: string }) => i.code);
    expect(listed).not.toContain(revoked);
    expect(listed).not.toContain(expired);
  });

  test("TEAM-8 concurrent redemptions never exceed maxUses", async () => {
    const code = (await createInvite({ maxUses: 3 })).body.invite.code;
    const results = await Promise.all(Array.from({ length: 8 }, () => signUp(code)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 403 && r.body.error.code === "invalid_invite")).toHaveLength(5);
  });

  test("TEAM-9 a taken username does not spend an invite use", async () => {
    const code = (await createInvite({})).body.invite.code;
    const taken = await signUp(code, alice.user.username);
    expect(taken.status).toBe(409);
    expect((await signUp(code)).status).toBe(201);
  });
});
