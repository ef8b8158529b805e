// Auth over real HTTP: register/login/refresh rotation/reuse/logout/me and every error status.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, register, startServer, uniqueName, type TestServer } from "../../test/harness";

let s: TestServer;
beforeAll(async () => (s = await startServer()));
afterAll(() => s.stop());

describe("auth", () => {
  test("AUTH-1 register returns 201 with user and a token pair; username folded to lowercase", async () => {
    const name = uniqueName("Mixed");
    const r = await api(s.url, "POST", "/api/auth/register", { username: name, password: "password123", displayName: "Mixed Case" });
    expect(r.status).toBe(201);
    expect(r.body.user.username).toBe(name.toLowerCase());
    expect(r.body.user.displayName).toBe("Mixed Case");
    expect(typeof r.body.accessToken).toBe("string");
    expect(typeof r.body.refreshToken).toBe("string");
    expect(r.body.user.passwordHash).toBeUndefined();
  });

  test("AUTH-2 a taken username (any case) is 409 conflict", async () => {
    const name = uniqueName("dup");
    await register(s.url, name);
    const r = await api(s.url, "POST", "/api/auth/register", { username: name.toUpperCase(), password: "password123" });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("conflict");
  });

  test("AUTH-3 bad usernames, short passwords, missing fields, malformed JSON are 400 invalid_request", async () => {
    for (const body of [
      { username: "ab", password: "password123" },
      { username: "has space", password: "password123" },
      { username: "x".repeat(33), password: "password123" },
      { username: uniqueName(), password: "short" },
      { username: uniqueName() },
      "{not json",
      [1, 2],
    ]) {
      const r = await api(s.url, "POST", "/api/auth/register", body);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("invalid_request");
      expect(JSON.stringify(r.body)).not.toMatch(/\bat \S+:\d+/); // no stack trace
    }
  });

  test("AUTH-4 login: right password 200, wrong password 401 invalid_credentials, unknown user 401", async () => {
    const name = uniqueName();
    await register(s.url, name, "password123");
    const ok = await api(s.url, "POST", "/api/auth/login", { username: name.toUpperCase(), password: "password123" });
    expect(ok.status).toBe(200);
    expect(ok.body.user.username).toBe(name);
    const bad = await api(s.url, "POST", "/api/auth/login", { username: name, password: "wrong-password" });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe("invalid_credentials");
    const none = await api(s.url, "POST", "/api/auth/login", { username: uniqueName("ghost"), password: "password123" });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("invalid_credentials");
  });

  test("AUTH-5 /api/me needs a valid bearer token", async () => {
    const sess = await register(s.url);
    expect((await api(s.url, "GET", "/api/me", undefined, sess.accessToken)).body.user.id).toBe(sess.user.id);
    expect((await api(s.url, "GET", "/api/me")).status).toBe(401);
    expect((await api(s.url, "GET", "/api/me", undefined, "garbage")).status).toBe(401);
    const [h, p] = sess.accessToken.split(".");
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${p}.`;
    expect((await api(s.url, "GET", "/api/me", undefined, none)).status).toBe(401);
    expect((await api(s.url, "GET", "/api/me", undefined, `${h}.${p}.AAAA`)).status).toBe(401);
  });

  test("AUTH-6 refresh rotates: the new pair works, the old refresh token stops working", async () => {
    const sess = await register(s.url);
    const r1 = await api(s.url, "POST", "/api/auth/refresh", { refreshToken: sess.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(sess.refreshToken);
    expect((await api(s.url, "GET", "/api/me", undefined, r1.body.accessToken)).status).toBe(200);
    const again = await api(s.url, "POST", "/api/auth/refresh", { refreshToken: sess.refreshToken });
    expect(again.status).toBe(401);
  });

  test("AUTH-7 reuse of a rotated refresh token revokes the whole family", async () => {
    const sess = await register(s.url);
    const r1 = await api(s.url, "POST", "/api/auth/refresh", { refreshToken: sess.refreshToken });
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: sess.refreshToken })).status).toBe(401); // the reuse
    const r2 = await api(s.url, "POST", "/api/auth/refresh", { refreshToken: r1.body.refreshToken });
    expect(r2.status).toBe(401); // the legitimate newest token died with its family
  });

  test("AUTH-8 logout revokes the refresh token (204); unknown tokens are 401", async () => {
    const sess = await register(s.url);
    const out = await api(s.url, "POST", "/api/auth/logout", { refreshToken: sess.refreshToken });
    expect(out.status).toBe(204);
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: sess.refreshToken })).status).toBe(401);
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: "nope.nope" })).status).toBe(401);
    expect((await api(s.url, "POST", "/api/auth/refresh", { refreshToken: "x" })).status).toBe(401);
  });

  test("AUTH-9 repeated failed logins are throttled per username with 429 and Retry-After", async () => {
    const t = await startServer();
    try {
      const name = uniqueName();
      await register(t.url, name, "password123");
      const limit = t.ctx.config.loginFailuresPerWindow;
      for (let i = 0; i < limit; i++) expect((await api(t.url, "POST", "/api/auth/login", { username: name, password: "wrong-pass" })).status).toBe(401);
      const r = await api(t.url, "POST", "/api/auth/login", { username: name, password: "password123" });
      expect(r.status).toBe(429);
      expect(r.body.error.code).toBe("rate_limited");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      // Another account from the same address is not locked out by this one's failures.
      const other = uniqueName();
      await register(t.url, other, "password123");
      expect((await api(t.url, "POST", "/api/auth/login", { username: other, password: "password123" })).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  test("AUTH-10 registration is limited per IP", async () => {
    const t = await startServer({ config: { registerPerIpPer10Min: 2 } });
    try {
      await register(t.url);
      await register(t.url);
      const r = await api(t.url, "POST", "/api/auth/register", { username: uniqueName(), password: "password123" });
      expect(r.status).toBe(429);
      expect(r.headers.get("retry-after")).toBeTruthy();
    } finally {
      await t.stop();
    }
  });

  test("AUTH-11 an expired access token is 401 token_expired", async () => {
    let now = Date.now();
    const t = await startServer({ clock: { now: () => now } });
    try {
      const sess = await register(t.url);
      now += (t.ctx.config.accessTokenTtlSec + 5) * 1000;
      const r = await api(t.url, "GET", "/api/me", undefined, sess.accessToken);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("token_expired");
    } finally {
      await t.stop();
    }
  });

  test("AUTH-14 a token accepted before (its check remembered) is still 401 token_expired once past its expiry", async () => {
    let now = Date.now();
    const t = await startServer({ clock: { now: () => now } });
    try {
      const sess = await register(t.url);
      expect((await api(t.url, "GET", "/api/me", undefined, sess.accessToken)).status).toBe(200);
      expect((await api(t.url, "GET", "/api/me", undefined, sess.accessToken)).status).toBe(200);
      now += (t.ctx.config.accessTokenTtlSec + 5) * 1000;
      const r = await api(t.url, "GET", "/api/me", undefined, sess.accessToken);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("token_expired");
    } finally {
      await t.stop();
    }
  });

  test("AUTH-12 the first account is a server admin, later ones are not", async () => {
    const t = await startServer();
    try {
      const a = await register(t.url);
      const b = await register(t.url);
      expect((await t.ctx.store.userById(a.user.id))!.isAdmin).toBe(true);
      expect((await t.ctx.store.userById(b.user.id))!.isAdmin).toBe(false);
    } finally {
      await t.stop();
    }
  });
});

describe("http limits", () => {
  test("AUTH-13 authenticated HTTP calls have a per-user budget: 429 with Retry-After past it, other users unaffected", async () => {
    const t = await startServer({ config: { httpBurst: 5, httpRatePerSec: 1 } });
    try {
      const a = await register(t.url);
      const b = await register(t.url);
      for (let i = 0; i < 5; i++) expect((await api(t.url, "GET", "/api/me", undefined, a.accessToken)).status).toBe(200);
      const r = await api(t.url, "GET", "/api/me", undefined, a.accessToken);
      expect(r.status).toBe(429);
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await api(t.url, "GET", "/api/me", undefined, b.accessToken)).status).toBe(200);
    } finally {
      await t.stop();
    }
  });
});
