// HARD-1 (issue 12): parallel login guesses are limited exactly as sequential ones, per username and
// per address, on one node and across two nodes sharing Redis.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRedis, type Proc } from "../../test/cluster";
import { api, register, startServer, uniqueName, type TestServer } from "../../test/harness";

const PASSWORD = "correct horse battery";

/** `n` logins at once, each with its own wrong password; the statuses, counted. */
async function parallelLogins(url: string, logins: { username: string; password: string }[]) {
  const statuses = await Promise.all(logins.map(async (b) => (await api(url, "POST", "/api/auth/login", b)).status));
  const count: Record<number, number> = {};
  for (const s of statuses) count[s] = (count[s] ?? 0) + 1;
  return count;
}

describe("HARD-1 failed-login limit under parallel guesses", () => {
  let s: TestServer;
  beforeAll(async () => void (s = await startServer({ config: { loginFailuresPerWindow: 10 } })));
  afterAll(() => s.stop());

  test("HARD-1 30 concurrent wrong logins for one username: exactly the limit of 401s, the rest 429, as sequential guesses get", async () => {
    const u = await register(s.url);
    const count = await parallelLogins(s.url, Array.from({ length: 30 }, (_, i) => ({ username: u.user.username, password: `wrong-guess-${i}` })));
    expect(count).toEqual({ 401: 10, 429: 20 });
    expect((await api(s.url, "POST", "/api/auth/login", { username: u.user.username, password: PASSWORD })).status).toBe(429);
  });

  test("HARD-1 with the right password among 30 parallel guesses, at most the limit are checked at all", async () => {
    const u = await register(s.url);
    const passwords = Array.from({ length: 30 }, (_, i) => (i === 17 ? PASSWORD : `wrong-guess-${i}`));
    const count = await parallelLogins(s.url, passwords.map((password) => ({ username: u.user.username, password })));
    expect((count[401] ?? 0) + (count[200] ?? 0)).toBeLessThanOrEqual(10);
    expect(count[429]).toBeGreaterThanOrEqual(20);
  });

  test("HARD-1 a successful login gives its token back: limit-1 failures, a success, then a full limit of failures again", async () => {
    const u = await register(s.url);
    const login = (password: string) => api(s.url, "POST", "/api/auth/login", { username: u.user.username, password });
    for (let i = 0; i < 9; i++) expect((await login(`wrong-${i}`)).status).toBe(401);
    expect((await login(PASSWORD)).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await login(`wrong-again-${i}`)).status).toBe(401);
    expect((await login(`one-too-many`)).status).toBe(429);
  });
});

describe("HARD-1 per address", () => {
  let s: TestServer;
  // Per address the allowance is 5× the per-username one: 2 → 10.
  beforeAll(async () => void (s = await startServer({ config: { loginFailuresPerWindow: 2 } })));
  afterAll(() => s.stop());

  test("HARD-1 30 concurrent wrong logins for 30 usernames from one address: the address's limit of 401s, the rest 429", async () => {
    const count = await parallelLogins(s.url, Array.from({ length: 30 }, (_, i) => ({ username: uniqueName(`nobody${i}`), password: `wrong-guess-${i}` })));
    expect(count).toEqual({ 401: 10, 429: 20 });
  });
});

describe("HARD-1 on the Redis limiter (one budget for a cluster)", () => {
  let redis: Proc, a: TestServer, b: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    const config = { busUrl: redis.url, jwtSecret: "hardening-test-secret-0123456789abcdef", loginFailuresPerWindow: 10 };
    [a, b] = await Promise.all([startServer({ config }), startServer({ config })]);
    expect(a.ctx.limits.scope).toBe("cluster");
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  test("HARD-1 30 concurrent wrong logins for one username, split over two nodes: exactly the limit of 401s", async () => {
    const u = await register(a.url);
    await b.ctx.store.insertUser((await a.ctx.store.userById(u.user.id))!);
    const guesses = Array.from({ length: 30 }, (_, i) => api(i % 2 ? a.url : b.url, "POST", "/api/auth/login", { username: u.user.username, password: `wrong-guess-${i}` }));
    const statuses = (await Promise.all(guesses)).map((r) => r.status);
    expect(statuses.filter((x) => x === 401).length).toBe(10);
    expect(statuses.filter((x) => x === 429).length).toBe(20);
  });
});


describe("HARD-1 current-password guesses", () => {
  let s: TestServer;
  beforeAll(async () => void (s = await startServer({ config: { loginFailuresPerWindow: 10 } })));
  afterAll(() => s.stop());

  test("HARD-1 a stolen session guessing the current password in parallel spends the username's login budget", async () => {
    const u = await register(s.url);
    const guesses = Array.from({ length: 30 }, (_, i) => api(s.url, "POST", "/api/me/password", { currentPassword: `wrong-guess-${i}`, newPassword: "a brand new password" }, u.accessToken));
    const statuses = (await Promise.all(guesses)).map((r) => r.status);
    expect(statuses.filter((x) => x === 401).length).toBe(10);
    expect(statuses.filter((x) => x === 429).length).toBe(20);
    expect((await api(s.url, "POST", "/api/auth/login", { username: u.user.username, password: PASSWORD })).status).toBe(429);
  });
});
