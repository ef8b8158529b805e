// Server administration over HTTP (contract: "Server administration"): users, reactivate, admin flag, reset codes.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, register, startServer, uniqueName, type Session, type TestServer } from "../../test/harness";

let s: TestServer;
let now = Date.now();
let admin: Session; // the first account
let plain: Session;

beforeAll(async () => {
  s = await startServer({ clock: { now: () => now } });
  admin = await register(s.url);
  plain = await register(s.url);
});
afterAll(() => s.stop());

const login = (username: string, password = "correct horse battery") => api(s.url, "POST", "/api/auth/login", { username, password });

describe("server administration", () => {
  test("TEAM-20 every admin route is 403 for a non-admin and 401 without a token", async () => {
    const victim = await register(s.url);
    const routes: [string, string, unknown?][] = [
      ["GET", "/api/admin/users"],
      ["POST", `/api/admin/users/${victim.user.id}/deactivate`],
      ["POST", `/api/admin/users/${victim.user.id}/reactivate`],
      ["PUT", `/api/admin/users/${plain.user.id}/admin`, { isAdmin: true }],
      ["POST", `/api/admin/users/${victim.user.id}/password-reset`],
      ["POST", "/api/invites", {}],
      ["GET", "/api/invites"],
      ["DELETE", "/api/invites/whatever"],
    ];
    for (const [method, path, body] of routes) {
      expect([method, path, (await api(s.url, method, path, body, plain.accessToken)).status]).toEqual([method, path, 403]);
      expect([method, path, (await api(s.url, method, path, body)).status]).toEqual([method, path, 401]);
    }
    expect((await api(s.url, "GET", "/api/me", undefined, plain.accessToken)).body.user.isAdmin).toBe(false);
  });

  test("TEAM-21 GET /api/admin/users searches and pages by username with a cursor; each user carries createdAt, lastSeen and deactivatedAt", async () => {
    const tag = uniqueName("adm").slice(0, 14);
    const made = [];
    for (const n of ["c", "a", "d", "b"]) made.push(await register(s.url, `${tag}${n}`));
    await api(s.url, "POST", `/api/admin/users/${made[2].user.id}/deactivate`, undefined, admin.accessToken);
    const first = await api(s.url, "GET", `/api/admin/users?q=${tag}&limit=3`, undefined, admin.accessToken);
    expect(first.status).toBe(200);
    expect(first.body.users.map((u: { username: string }) => u.username)).toEqual(["a", "b", "c"].map((n) => tag + n));
    expect(first.body.users[0]).toEqual({
      id: made[1].user.id, username: `${tag}a`, displayName: `${tag}a`, isAdmin: false, createdAt: now, lastSeen: null, deactivatedAt: null,
    });
    expect(first.body.nextCursor).toBe(`${tag}c`);
    const second = await api(s.url, "GET", `/api/admin/users?q=${tag}&limit=3&cursor=${first.body.nextCursor}`, undefined, admin.accessToken);
    expect(second.body.users.map((u: { username: string; deactivatedAt: number | null }) => [u.username, u.deactivatedAt])).toEqual([[`${tag}d`, now]]);
    expect(second.body.nextCursor).toBeUndefined();
    const all = await api(s.url, "GET", "/api/admin/users", undefined, admin.accessToken);
    expect(all.body.users.some((u: { id: string; isAdmin: boolean }) => u.id === admin.user.id && u.isAdmin)).toBe(true);
    for (const q of ["limit=0", "limit=101", "limit=x", `q=${"x".repeat(65)}`]) expect((await api(s.url, "GET", `/api/admin/users?${q}`, undefined, admin.accessToken)).status).toBe(400);
  });

  test("TEAM-22 reactivate lets the account log in again (204); its old access tokens stay refused; 404 for an unknown id", async () => {
    const u = await register(s.url);
    const c = await Client.connect(s, u);
    expect((await api(s.url, "POST", `/api/admin/users/${u.user.id}/deactivate`, undefined, admin.accessToken)).status).toBe(204);
    expect((await c.closed).code).toBe(4003);
    expect((await login(u.user.username)).status).toBe(403);
    expect((await api(s.url, "POST", `/api/admin/users/${u.user.id}/reactivate`, undefined, admin.accessToken)).status).toBe(204);
    expect((await api(s.url, "GET", "/api/me", undefined, u.accessToken)).status).toBe(401);
    const back = await login(u.user.username);
    expect(back.status).toBe(200);
    expect((await api(s.url, "GET", "/api/me", undefined, back.body.accessToken)).status).toBe(200);
    expect((await api(s.url, "POST", "/api/admin/users/nobody/reactivate", undefined, admin.accessToken)).status).toBe(404);
  });

  test("TEAM-23 PUT …/admin grants and revokes server admin, read from the store on each call; the last admin cannot remove themselves (409 last_admin)", async () => {
    const u = await register(s.url);
    expect((await api(s.url, "GET", "/api/admin/users", undefined, u.accessToken)).status).toBe(403);
    const grant = await api(s.url, "PUT", `/api/admin/users/${u.user.id}/admin`, { isAdmin: true }, admin.accessToken);
    expect(grant.status).toBe(200);
    expect(grant.body.user).toMatchObject({ id: u.user.id, isAdmin: true });
    expect((await api(s.url, "GET", "/api/admin/users", undefined, u.accessToken)).status).toBe(200); // the same token
    expect((await api(s.url, "PUT", `/api/admin/users/${u.user.id}/admin`, { isAdmin: false }, admin.accessToken)).status).toBe(200);
    expect((await api(s.url, "GET", "/api/admin/users", undefined, u.accessToken)).status).toBe(403);
    // The first admin is now the only one.
    const last = await api(s.url, "PUT", `/api/admin/users/${admin.user.id}/admin`, { isAdmin: false }, admin.accessToken);
    expect([last.status, last.body.error.code]).toEqual([409, "last_admin"]);
    expect((await api(s.url, "GET", "/api/me", undefined, admin.accessToken)).body.user.isAdmin).toBe(true);
    for (const body of [{}, { isAdmin: "yes" }, { isAdmin: 1 }]) expect((await api(s.url, "PUT", `/api/admin/users/${u.user.id}/admin`, body, admin.accessToken)).status).toBe(400);
    expect((await api(s.url, "PUT", "/api/admin/users/nobody/admin", { isAdmin: true }, admin.accessToken)).status).toBe(404);
    // With a second admin, the first may step down.
    await api(s.url, "PUT", `/api/admin/users/${u.user.id}/admin`, { isAdmin: true }, admin.accessToken);
    expect((await api(s.url, "PUT", `/api/admin/users/${admin.user.id}/admin`, { isAdmin: false }, admin.accessToken)).status).toBe(200);
    expect((await api(s.url, "PUT", `/api/admin/users/${admin.user.id}/admin`, { isAdmin: true }, u.accessToken)).status).toBe(200);
  });

  test("TEAM-24 a password-reset code (201, 24 h) redeemed at /api/auth/reset sets the password, ends every other session (4001) and starts one; it works once", async () => {
    const u = await register(s.url);
    const c = await Client.connect(s, u);
    const r = await api(s.url, "POST", `/api/admin/users/${u.user.id}/password-reset`, undefined, admin.accessToken);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ code: expect.any(String), expiresAt: now + 24 * 3600_000 });
    expect((await api(s.url, "POST", "/api/auth/reset", { code: r.body.code, newPassword: "short" })).status).toBe(400);
    expect((await api(s.url, "POST", "/api/auth/reset", { code: r.body.code })).status).toBe(400);
    const done = await api(s.url, "POST", "/api/auth/reset", { code: r.body.code, newPassword: "reset and renewed" });
    expect(done.status).toBe(200);
    const fresh = done.body.accessToken as string; // (Bun's toMatchObject writes its matchers into the object it checks)
    expect([done.body.user.id, typeof fresh, typeof done.body.refreshToken]).toEqual([u.user.id, "string", "string"]);
    expect((await c.closed).code).toBe(4001);
    expect((await api(s.url, "GET", "/api/me", undefined, u.accessToken)).status).toBe(401);
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: u.refreshToken })).status).toBe(401);
    expect((await api(s.url, "GET", "/api/me", undefined, fresh)).status).toBe(200);
    expect((await login(u.user.username, "reset and renewed")).status).toBe(200);
    const again = await api(s.url, "POST", "/api/auth/reset", { code: r.body.code, newPassword: "yet another one" });
    expect(again.status).toBe(401);
    expect((await api(s.url, "POST", "/api/auth/reset", { code: "made-up", newPassword: "yet another one" })).status).toBe(401);
    expect((await api(s.url, "POST", "/api/admin/users/nobody/password-reset", undefined, admin.accessToken)).status).toBe(404);
  });

  test("TEAM-25 a reset code expires after 24 h", async () => {
    const u = await register(s.url);
    const r = await api(s.url, "POST", `/api/admin/users/${u.user.id}/password-reset`, undefined, admin.accessToken);
    now += 24 * 3600_000;
    expect((await api(s.url, "POST", "/api/auth/reset", { code: r.body.code, newPassword: "too late for this" })).status).toBe(401);
    expect((await login(u.user.username)).status).toBe(200);
  });
});
