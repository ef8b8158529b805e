// Two real Parley servers on one Redis: per-user and per-address limits are one budget, not one per node.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startRedis, type Proc } from "../../test/cluster";
import { api, Client, createRoom, register, startServer, type Session, type TestServer } from "../../test/harness";

const JWT_SECRET = "two-nodes-test-secret-0123456789abcdef";

/** Both nodes know the user: the stores are separate files here (only the limiter is shared), so the row is copied. */
async function userOnBoth(a: TestServer, b: TestServer): Promise<Session> {
  const s = await register(a.url);
  await b.ctx.store.insertUser((await a.ctx.store.userById(s.user.id))!);
  return s;
}

describe("rate limits across two nodes", () => {
  let redis: Proc, a: TestServer, b: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    const config = { busUrl: redis.url, jwtSecret: JWT_SECRET, writeBurst: 5, writeRatePerSec: 1, httpBurst: 4, httpRatePerSec: 1, registerPerIpPer10Min: 4 };
    [a, b] = await Promise.all([startServer({ config }), startServer({ config })]);
    expect(a.ctx.limits.scope).toBe("cluster");
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  test("RATE-3 a user's send frames through both nodes spend one write burst: rate_limited with retryAfterMs after 5, not 10", async () => {
    const s = await userOnBoth(a, b);
    const roomA = await createRoom(a.url, s), roomB = await createRoom(b.url, s);
    const [ca, cb] = await Promise.all([Client.connect(a, s), Client.connect(b, s)]);
    const send = (c: Client, room: string, body: string) => c.request({ type: "send", room, body, clientMsgId: crypto.randomUUID() });
    try {
      for (let i = 0; i < 3; i++) expect(await send(ca, roomA, `a${i}`)).toMatchObject({ type: "ok" });
      for (let i = 0; i < 2; i++) expect(await send(cb, roomB, `b${i}`)).toMatchObject({ type: "ok" });
      const limited = await send(cb, roomB, "b2");
      expect(limited.type).toBe("error");
      expect(limited.code).toBe("rate_limited");
      expect(limited.retryAfterMs).toBeGreaterThan(0);
      expect(limited.retryAfterMs).toBeLessThanOrEqual(1_000);
      expect((await send(ca, roomA, "a3")).code).toBe("rate_limited");
      // Read frames have their own budget and are not affected.
      expect((await ca.request({ type: "ping" })).type).toBe("pong");
    } finally {
      ca.close();
      cb.close();
    }
  });

  test("WS-SEND-4 with the shared limiter, sends written back to back on one socket are stored in sending order", async () => {
    // The room's first sends: the later ones must not overtake the first, which loads the send policy.
    const s = await userOnBoth(a, b);
    const room = await createRoom(a.url, s);
    const c = await Client.connect(a, s);
    try {
      const bodies = ["one", "two", "three", "four", "five"];
      const acks = await Promise.all(bodies.map((body) => c.request({ type: "send", room, body, clientMsgId: crypto.randomUUID() })));
      const seqs = acks.map((f) => f.event.seq);
      expect(acks.map((f) => f.event.body)).toEqual(bodies);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    } finally {
      c.close();
    }
  });

  test("RATE-3 a user's authenticated HTTP calls through both nodes spend one budget", async () => {
    const s = await userOnBoth(a, b);
    // userOnBoth spent nothing: registering is not an authenticated call.
    for (const node of [a, b, a, b]) expect((await api(node.url, "GET", "/api/me", undefined, s.accessToken)).status).toBe(200);
    const r = await api(b.url, "GET", "/api/me", undefined, s.accessToken);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("RATE-3 registrations from one address through both nodes spend one per-address budget", async () => {
    // Earlier tests in this file registered three times on node a from 127.0.0.1: one registration is left.
    const status = async (node: TestServer) => (await api(node.url, "POST", "/api/auth/register", { username: `r${crypto.randomUUID().slice(0, 8)}`, password: "correct horse battery" })).status;
    expect(await status(b)).toBe(201);
    expect(await status(a)).toBe(429);
    expect(await status(b)).toBe(429);
  });
});
