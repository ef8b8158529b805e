// Your account over HTTP and real sockets (contract: "Your account"): profile, avatar, password, sessions, people picker.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, uniqueName, type Session, type TestServer } from "../../test/harness";

// A 1×1 RGBA PNG.
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), (c) => c.charCodeAt(0));
const PASSWORD = "correct horse battery";

let s: TestServer;
let admin: Session;

beforeAll(async () => {
  s = await startServer();
  admin = await register(s.url);
});
afterAll(() => s.stop());

async function putAvatar(token: string | undefined, bytes: Uint8Array<ArrayBuffer>, name = "me.png") {
  const fd = new FormData();
  fd.append("file", new File([bytes], name, { type: "image/png" }));
  const res = await fetch(s.url + "/api/me/avatar", { method: "PUT", body: fd, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

async function login(username: string, userAgent: string, password = PASSWORD): Promise<{ status: number; body: Session }> {
  const res = await fetch(s.url + "/api/auth/login", { method: "POST", headers: { "content-type": "application/json", "user-agent": userAgent }, body: JSON.stringify({ username, password }) });
  return { status: res.status, body: (await res.json()) as Session };
}

/** Two users sharing a room, and a third sharing none with them. */
async function trio() {
  const [a, b, stranger] = await Promise.all([register(s.url), register(s.url), register(s.url)]);
  const room = await createRoom(s.url, a);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, b.accessToken);
  return { a, b, stranger, room };
}

const alive = async (c: Client) => (await c.request({ type: "ping" })).type === "pong";

describe("profile", () => {
  test("TEAM-10 PATCH /api/me sets the display name (200 {user}); the user and everyone sharing a room get a `user` frame; others do not", async () => {
    const { a, b, stranger } = await trio();
    const [ca, cb, cs] = await Promise.all([Client.connect(s, a), Client.connect(s, b), Client.connect(s, stranger)]);
    const r = await api(s.url, "PATCH", "/api/me", { displayName: "  Ada L.  " }, a.accessToken);
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual({ id: a.user.id, username: a.user.username, displayName: "Ada L.", isAdmin: false });
    for (const c of [ca, cb]) expect((await c.next((f) => f.type === "user")).user).toEqual(r.body.user);
    // The stranger's own change arrives at its socket; a's never came before it.
    await api(s.url, "PATCH", "/api/me", { displayName: "Marker" }, stranger.accessToken);
    await cs.next((f) => f.type === "user" && f.user.id === stranger.user.id);
    expect(cs.frames.some((f) => f.type === "user" && f.user.id === a.user.id)).toBe(false);
    expect((await api(s.url, "GET", "/api/me", undefined, a.accessToken)).body.user.displayName).toBe("Ada L.");
    expect((await api(s.url, "PATCH", "/api/me", {}, a.accessToken)).body.user.displayName).toBe("Ada L.");
    for (const c of [ca, cb, cs]) c.close();
  });

  test("TEAM-11 PATCH /api/me refuses empty, oversized and mistyped names (400) and callers without a token (401)", async () => {
    const a = await register(s.url);
    for (const body of [{ displayName: "" }, { displayName: "   " }, { displayName: "x".repeat(65) }, { displayName: 7 }, { displayName: "a\u0000b" }]) {
      expect([JSON.stringify(body), (await api(s.url, "PATCH", "/api/me", body, a.accessToken)).status]).toEqual([JSON.stringify(body), 400]);
    }
    expect((await api(s.url, "PATCH", "/api/me", { displayName: "x" })).status).toBe(401);
    expect((await api(s.url, "PATCH", "/api/me", { displayName: "x" }, "not-a-token")).status).toBe(401);
  });

  test("TEAM-12 PUT /api/me/avatar: a png by its bytes gives avatarUrl, loadable without a token, served with nosniff and a sandbox CSP; room peers get a `user` frame", async () => {
    const { a, b } = await trio();
    const cb = await Client.connect(s, b);
    const r = await putAvatar(a.accessToken, PNG, "evil.html");
    expect(r.status).toBe(200);
    expect(r.body.user.avatarUrl).toMatch(new RegExp(`^/api/users/${a.user.id}/avatar\\?v=`));
    expect((await cb.next((f) => f.type === "user" && f.user.avatarUrl)).user).toEqual(r.body.user);
    const img = await fetch(s.url + r.body.user.avatarUrl);
    expect(img.status).toBe(200);
    expect(img.headers.get("content-type")).toBe("image/png");
    expect(img.headers.get("x-content-type-options")).toBe("nosniff");
    expect(img.headers.get("content-security-policy")).toContain("sandbox");
    expect(new Uint8Array(await img.arrayBuffer())).toEqual(PNG);
    const again = await putAvatar(a.accessToken, PNG);
    expect(again.body.user.avatarUrl).not.toBe(r.body.user.avatarUrl);
    const del = await api(s.url, "DELETE", "/api/me/avatar", undefined, a.accessToken);
    expect(del.status).toBe(200);
    expect(del.body.user).toEqual({ id: a.user.id, username: a.user.username, displayName: a.user.displayName, isAdmin: false });
    expect((await fetch(s.url + r.body.user.avatarUrl)).status).toBe(404);
    expect((await fetch(s.url + "/api/users/nobody/avatar")).status).toBe(404);
    cb.close();
  });

  test("TEAM-13 PUT /api/me/avatar refuses other types by content (415), more than 1 MiB (413), no file or no multipart (400), no token (401)", async () => {
    const a = await register(s.url);
    expect((await putAvatar(a.accessToken, new TextEncoder().encode("just text, named png"))).status).toBe(415);
    expect((await putAvatar(a.accessToken, new TextEncoder().encode("%PDF-1.4 not an image"))).status).toBe(415);
    const big = new Uint8Array(1024 * 1024 + 1);
    big.set(PNG);
    expect((await putAvatar(a.accessToken, big)).status).toBe(413);
    expect((await putAvatar(undefined, PNG)).status).toBe(401);
    expect((await api(s.url, "PUT", "/api/me/avatar", { file: "x" }, a.accessToken)).status).toBe(400);
    const empty = new FormData();
    empty.append("other", "x");
    expect((await fetch(s.url + "/api/me/avatar", { method: "PUT", body: empty, headers: { authorization: `Bearer ${a.accessToken}` } })).status).toBe(400);
    expect((await api(s.url, "GET", "/api/me", undefined, a.accessToken)).body.user.avatarUrl).toBeUndefined();
  });
});

describe("password and sessions", () => {
  test("TEAM-14 POST /api/me/password: a wrong current password is 401 invalid_credentials and changes nothing; a short new one is 400", async () => {
    const a = await register(s.url);
    const wrong = await api(s.url, "POST", "/api/me/password", { currentPassword: "nope nope nope", newPassword: "another good one" }, a.accessToken);
    expect([wrong.status, wrong.body.error.code]).toEqual([401, "invalid_credentials"]);
    expect((await api(s.url, "POST", "/api/me/password", { currentPassword: PASSWORD, newPassword: "short" }, a.accessToken)).status).toBe(400);
    expect((await api(s.url, "POST", "/api/me/password", { currentPassword: PASSWORD }, a.accessToken)).status).toBe(400);
    expect((await api(s.url, "POST", "/api/me/password", { currentPassword: PASSWORD, newPassword: "another good one" })).status).toBe(401);
    expect((await login(a.user.username, "t")).status).toBe(200);
  });

  test("TEAM-15 a password change ends every OTHER session at once: sockets closed 4001, refresh and access tokens refused; the current session keeps working", async () => {
    const a = await register(s.url);
    const other = (await login(a.user.username, "Other browser")).body;
    const [mine, theirs] = await Promise.all([Client.connect(s, a), Client.connect(s, other)]);
    const r = await api(s.url, "POST", "/api/me/password", { currentPassword: PASSWORD, newPassword: "a brand new secret" }, a.accessToken);
    expect(r.status).toBe(204);
    expect((await theirs.closed).code).toBe(4001);
    expect((await api(s.url, "GET", "/api/me", undefined, other.accessToken)).status).toBe(401);
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: other.refreshToken })).status).toBe(401);
    const hello = new Client(s.wsUrl);
    await hello.opened;
    hello.send({ type: "hello", token: other.accessToken });
    expect((await hello.closed).code).toBe(4001);
    // The session that changed it carries on.
    expect(await alive(mine)).toBe(true);
    expect((await api(s.url, "GET", "/api/me", undefined, a.accessToken)).status).toBe(200);
    const next = await api(s.url, "POST", "/api/auth/refresh", { refreshToken: a.refreshToken });
    expect(next.status).toBe(200);
    expect((await api(s.url, "GET", "/api/me", undefined, next.body.accessToken)).status).toBe(200);
    expect((await login(a.user.username, "x")).status).toBe(401);
    expect((await login(a.user.username, "x", "a brand new secret")).status).toBe(200);
    mine.close();
  });

  test("TEAM-16 GET /api/me/sessions lists one entry per login with current, createdAt, lastUsedAt, userAgent and ip", async () => {
    const a = await register(s.url);
    const phone = (await login(a.user.username, "Phone/1.0")).body;
    const r = await api(s.url, "GET", "/api/me/sessions", undefined, phone.accessToken);
    expect(r.status).toBe(200);
    expect(r.body.sessions).toHaveLength(2);
    const current = r.body.sessions.find((x: { current: boolean }) => x.current);
    expect(current).toEqual({ id: expect.any(String), current: true, createdAt: expect.any(Number), lastUsedAt: expect.any(Number), userAgent: "Phone/1.0", ip: "127.0.0.1" });
    expect(r.body.sessions.filter((x: { current: boolean }) => !x.current)).toHaveLength(1);
    expect((await api(s.url, "GET", "/api/me/sessions")).status).toBe(401);
  });

  test("TEAM-17 DELETE /api/me/sessions/:id ends that session (socket 4001, tokens refused); 404 for an unknown id or someone else's session", async () => {
    const a = await register(s.url);
    const b = await register(s.url);
    const laptop = (await login(a.user.username, "Laptop")).body;
    const c = await Client.connect(s, laptop);
    const list = (await api(s.url, "GET", "/api/me/sessions", undefined, a.accessToken)).body.sessions;
    const target = list.find((x: { current: boolean }) => !x.current).id;
    const bSession = (await api(s.url, "GET", "/api/me/sessions", undefined, b.accessToken)).body.sessions[0].id;
    expect((await api(s.url, "DELETE", `/api/me/sessions/${bSession}`, undefined, a.accessToken)).status).toBe(404);
    expect((await api(s.url, "GET", "/api/me", undefined, b.accessToken)).status).toBe(200);
    expect((await api(s.url, "DELETE", "/api/me/sessions/nope", undefined, a.accessToken)).status).toBe(404);
    expect((await api(s.url, "DELETE", `/api/me/sessions/${target}`)).status).toBe(401);
    expect((await api(s.url, "DELETE", `/api/me/sessions/${target}`, undefined, a.accessToken)).status).toBe(204);
    expect((await c.closed).code).toBe(4001);
    expect((await api(s.url, "GET", "/api/me", undefined, laptop.accessToken)).status).toBe(401);
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: laptop.refreshToken })).status).toBe(401);
    expect((await api(s.url, "DELETE", `/api/me/sessions/${target}`, undefined, a.accessToken)).status).toBe(404);
    expect((await api(s.url, "GET", "/api/me/sessions", undefined, a.accessToken)).body.sessions).toHaveLength(1);
  });

  test("TEAM-18 logout ends the session: its access token is refused (401) and its socket closes with 4001", async () => {
    const a = await register(s.url);
    const c = await Client.connect(s, a);
    expect((await api(s.url, "POST", "/api/auth/logout", { refreshToken: a.refreshToken })).status).toBe(204);
    expect((await c.closed).code).toBe(4001);
    expect((await api(s.url, "GET", "/api/me", undefined, a.accessToken)).status).toBe(401);
  });
});

describe("people picker", () => {
  test("TEAM-19 GET /api/users?q= finds active accounts by username or display name, case-insensitively; deactivated ones never; needs a token", async () => {
    const tag = uniqueName("pp").slice(0, 12);
    const one = await register(s.url, `${tag}one`);
    const two = await register(s.url, uniqueName("zz"));
    await api(s.url, "PATCH", "/api/me", { displayName: `Known as ${tag.toUpperCase()}` }, two.accessToken);
    const gone = await register(s.url, `${tag}gone`);
    expect((await api(s.url, "POST", `/api/admin/users/${gone.user.id}/deactivate`, undefined, admin.accessToken)).status).toBe(204);
    const r = await api(s.url, "GET", `/api/users?q=${tag.toUpperCase()}`, undefined, one.accessToken);
    expect(r.status).toBe(200);
    expect(r.body.users.map((u: { id: string }) => u.id).sort()).toEqual([one.user.id, two.user.id].sort());
    expect(r.body.users.find((u: { id: string }) => u.id === one.user.id)).toEqual({ id: one.user.id, username: one.user.username, displayName: one.user.username, isAdmin: false });
    expect((await api(s.url, "GET", `/api/users?q=${tag}&limit=1`, undefined, one.accessToken)).body.users).toHaveLength(1);
    expect((await api(s.url, "GET", `/api/users?q=${tag}`)).status).toBe(401);
    expect((await api(s.url, "GET", `/api/users?q=${tag}&limit=0`, undefined, one.accessToken)).status).toBe(400);
    expect((await api(s.url, "GET", `/api/users?q=${tag}&limit=abc`, undefined, one.accessToken)).status).toBe(400);
    expect((await api(s.url, "GET", `/api/users?q=${"x".repeat(65)}`, undefined, one.accessToken)).status).toBe(400);
  });
});

describe("ended sessions across a restart", () => {
  test("TEAM-26 a node that starts after a session ended refuses its access token (it reads the ended sessions from the store)", async () => {
    const one = await startServer();
    const u = await register(one.url);
    const laptop = (await api(one.url, "POST", "/api/auth/login", { username: u.user.username, password: PASSWORD })).body as Session;
    expect((await api(one.url, "POST", "/api/auth/logout", { refreshToken: laptop.refreshToken })).status).toBe(204);
    await one.stop();
    const two = await startServer({ dataDir: one.dataDir });
    try {
      expect((await api(two.url, "GET", "/api/me", undefined, laptop.accessToken)).status).toBe(401);
      expect((await api(two.url, "GET", "/api/me", undefined, u.accessToken)).status).toBe(200);
    } finally {
      await two.stop();
    }
  });
});
