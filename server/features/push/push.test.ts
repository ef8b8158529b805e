// Web Push end to end: a local push service verifies VAPID and decrypts what the server sends.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PushStore } from "../../ports/push";
import { Client, api, createRoom, register, startServer, tempDir, type Session, type TestServer } from "../../test/harness";
import { createPush, MAX_SUBSCRIPTIONS_PER_USER, type Push, type PushPayload } from "./service";
import { startPushService, type TestPushService } from "./test-push-service";

let s: TestServer;
let store: PushStore;
let push: Push; // allows the local http push service
let svc: TestPushService;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  s = await startServer();
  store = s.ctx.store.push;
  push = createPush(s.ctx, store, { allowLoopbackHttp: true, timeoutMs: 3000 });
  svc = startPushService();
  [alice, bob] = await Promise.all([register(s.url), register(s.url)]);
});
afterAll(async () => {
  svc.stop();
  await s.stop();
});

const payload = (over: Partial<PushPayload> = {}): PushPayload => ({ title: "bob in #general", body: "hey @alice, lunch? 🍜", room: "r1", seq: 42, kind: "mention", ...over });
const endpointsOf = async (userId: string) => (await store.listByUser(userId)).map((r) => r.endpoint);
const b64 = (bytes: number[] | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("base64url");

/** Polls a condition every few ms; fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

describe("push delivery", () => {
  test("PUSH-1 the push service receives a VAPID-signed aes128gcm message that decrypts to the payload", async () => {
    const user = (await register(s.url)).user.id;
    const sub = await svc.subscriber();
    await push.subscribe(user, sub.subscription);
    const p = payload();
    expect(await push.send(user, p)).toBe(1);
    expect(svc.errors).toEqual([]);
    expect(sub.received).toHaveLength(1);
    const r = sub.received[0];
    expect(JSON.parse(r.plaintext)).toEqual(p);
    expect(r.claims.aud).toBe(new URL(sub.endpoint).origin);
    expect(r.claims.sub).toBe("mailto:admin@localhost");
    expect(r.vapidKey).toBe(push.publicKey);
    expect(r.headers["ttl"]).toBe("86400");
    expect(r.headers["urgency"]).toBe("high");
    expect(r.headers["content-encoding"]).toBe("aes128gcm");
    expect(r.bodyBytes).toBeLessThanOrEqual(4096);
  });

  test("PUSH-2 every subscription of the user gets it; other users' do not", async () => {
    const user = (await register(s.url)).user.id;
    const other = (await register(s.url)).user.id;
    const [a, b, c] = await Promise.all([svc.subscriber(), svc.subscriber(), svc.subscriber()]);
    await push.subscribe(user, a.subscription);
    await push.subscribe(user, b.subscription);
    await push.subscribe(other, c.subscription);
    expect(await push.send(user, payload({ kind: "dm" }))).toBe(2);
    expect(a.received.length + b.received.length + c.received.length).toBe(2);
    expect(c.received).toHaveLength(0);
    expect(await push.send((await register(s.url)).user.id, payload())).toBe(0); // no subscriptions
  });

  test("PUSH-3 a 410 or 404 answer removes the subscription; other failures keep it and never throw", async () => {
    const user = (await register(s.url)).user.id;
    const [gone, missing, broken, ok] = await Promise.all([svc.subscriber(410), svc.subscriber(404), svc.subscriber(500), svc.subscriber()]);
    for (const x of [gone, missing, broken, ok]) await push.subscribe(user, x.subscription);
    expect(await push.send(user, payload())).toBe(1);
    expect(gone.received).toHaveLength(1); // it was delivered to the service, which said Gone
    expect((await endpointsOf(user)).sort()).toEqual([broken.endpoint, ok.endpoint].sort());
  });

  test("PUSH-4 an unreachable push service is logged and counted as not delivered", async () => {
    const user = (await register(s.url)).user.id;
    const dead = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const endpoint = `http://127.0.0.1:${dead.port}/push/x`;
    dead.stop(true);
    const sub = await svc.subscriber();
    await push.subscribe(user, { endpoint, keys: sub.subscription.keys });
    expect(await push.send(user, payload())).toBe(0);
    expect(await endpointsOf(user)).toEqual([endpoint]);
  });

  test("PUSH-5 an over-long body is cut to fit one push message", async () => {
    const user = (await register(s.url)).user.id;
    const sub = await svc.subscriber();
    await push.subscribe(user, sub.subscription);
    expect(await push.send(user, payload({ body: "ж".repeat(10_000) }))).toBe(1);
    const got = JSON.parse(sub.received[0].plaintext);
    expect(got.body.endsWith("…")).toBe(true);
    expect(got.body.length).toBeGreaterThan(1000);
    expect({ ...got, body: "" }).toEqual({ ...payload(), body: "" });
    expect(sub.received[0].bodyBytes).toBeLessThanOrEqual(4096);
  });

  test("PUSH-6 re-subscribing an endpoint moves it to the new user with the new keys", async () => {
    const u1 = (await register(s.url)).user.id;
    const u2 = (await register(s.url)).user.id;
    const sub = await svc.subscriber();
    await push.subscribe(u1, { endpoint: sub.endpoint, keys: (await svc.subscriber()).subscription.keys });
    await push.subscribe(u2, sub.subscription);
    expect(await endpointsOf(u1)).toEqual([]);
    expect(await push.send(u2, payload())).toBe(1); // decryptable: the new keys are used
    await push.unsubscribe(u1, sub.endpoint); // not u1's any more: left alone
    expect(await endpointsOf(u2)).toEqual([sub.endpoint]);
    await push.unsubscribe(u2, sub.endpoint);
    expect(await endpointsOf(u2)).toEqual([]);
  });

  test("PUSH-7 a user keeps at most MAX_SUBSCRIPTIONS_PER_USER; the oldest go", async () => {
    const user = (await register(s.url)).user.id;
    // A clock that moves 1 ms per reading: each subscription gets a distinct, increasing createdAt without sleeping.
    let t = Date.now();
    const ticking = createPush({ ...s.ctx, clock: { now: () => t++ } }, store, { allowLoopbackHttp: true });
    const subs = [];
    for (let i = 0; i <= MAX_SUBSCRIPTIONS_PER_USER; i++) {
      subs.push(await svc.subscriber());
      await ticking.subscribe(user, subs[i].subscription);
    }
    const kept = await endpointsOf(user);
    expect(kept).toHaveLength(MAX_SUBSCRIPTIONS_PER_USER);
    expect(kept).not.toContain(subs[0].endpoint);
    expect(kept).toContain(subs[MAX_SUBSCRIPTIONS_PER_USER].endpoint);
  });

  test("PUSH-8 loopback http endpoints are refused unless allowed; https is always accepted", async () => {
    const prod = createPush(s.ctx, store);
    const sub = await svc.subscriber();
    await expect(prod.subscribe(alice.user.id, sub.subscription)).rejects.toMatchObject({ code: "invalid_request" });
    await prod.subscribe(alice.user.id, { endpoint: "https://push.example.test/abc", keys: sub.subscription.keys });
    // A loopback row left from elsewhere is never posted to by a production service: it is dropped.
    await push.subscribe(alice.user.id, sub.subscription);
    expect(await prod.send(alice.user.id, payload())).toBe(0);
    expect(sub.received).toHaveLength(0);
    expect(await endpointsOf(alice.user.id)).not.toContain(sub.endpoint);
    await prod.unsubscribe(alice.user.id, "https://push.example.test/abc");
  });
});

describe("VAPID keys", () => {
  test("PUSH-9 generated once into <data>/vapid.json (0600) and the same after a restart", async () => {
    const dir = tempDir();
    const a = await startServer({ dataDir: dir });
    const first = createPush(a.ctx, store).publicKey;
    await a.stop();
    expect(statSync(join(dir, "vapid.json")).mode & 0o777).toBe(0o600);
    const b = await startServer({ dataDir: dir });
    expect(createPush(b.ctx, store).publicKey).toBe(first);
    await b.stop();
    expect(Buffer.from(first, "base64url")).toHaveLength(65);
    expect(createPush(s.ctx, store).publicKey).not.toBe(first); // another data dir, another pair
  });

  test("PUSH-10 a damaged key file or a bad subject stops startup instead of replacing the keys", async () => {
    const dir = tempDir();
    const a = await startServer({ dataDir: dir });
    writeFileSync(join(dir, "vapid.json"), JSON.stringify({ publicKey: push.publicKey, privateKey: b64(new Uint8Array(32).fill(1)) }));
    expect(() => createPush(a.ctx, store)).toThrow(/matching P-256 key pair/);
    expect(() => createPush(s.ctx, store, { subject: "admin@example.org" })).toThrow(/VAPID subject/);
    await a.stop();
  });

  test("PUSH-11 a configured subject is what the JWT carries", async () => {
    const custom = createPush(s.ctx, store, { allowLoopbackHttp: true, subject: "mailto:ops@example.org" });
    const user = (await register(s.url)).user.id;
    const sub = await svc.subscriber();
    await custom.subscribe(user, sub.subscription);
    expect(await custom.send(user, payload())).toBe(1);
    expect(sub.received[0].claims.sub).toBe("mailto:ops@example.org");
  });
});

describe("push routes", () => {
  const call = (method: string, path: string, body?: unknown, who?: Session) => api(s.url, method, path, body, who?.accessToken);
  const https = (id = crypto.randomUUID()) => `https://push.example.test/send/${id}`;
  let keys: { p256dh: string; auth: string };
  beforeAll(async () => {
    keys = (await svc.subscriber()).subscription.keys;
  });

  test("PUSH-12 GET /api/push/key answers the VAPID public key", async () => {
    const r = await call("GET", "/api/push/key", undefined, alice);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ publicKey: push.publicKey });
  });

  test("PUSH-13 subscribe → 201 (idempotent, browser toJSON shape accepted); unsubscribe → 204", async () => {
    const endpoint = https();
    const r = await call("POST", "/api/push/subscriptions", { endpoint, expirationTime: null, keys }, bob);
    expect(r.status).toBe(201);
    expect((await call("POST", "/api/push/subscriptions", { endpoint, keys }, bob)).status).toBe(201);
    expect(await endpointsOf(bob.user.id)).toEqual([endpoint]);
    expect((await call("DELETE", "/api/push/subscriptions", { endpoint }, alice)).status).toBe(204); // not hers: no-op
    expect(await endpointsOf(bob.user.id)).toEqual([endpoint]);
    expect((await call("DELETE", "/api/push/subscriptions", { endpoint }, bob)).status).toBe(204);
    expect(await endpointsOf(bob.user.id)).toEqual([]);
    expect((await call("DELETE", "/api/push/subscriptions", { endpoint }, bob)).status).toBe(204); // idempotent
  });

  test("PUSH-14 invalid subscription bodies → 400", async () => {
    const notOnCurve = b64([4, ...new Array(64).fill(7)]);
    const bad: unknown[] = [
      {},
      { endpoint: https() },
      { endpoint: https(), keys: { p256dh: keys.p256dh } },
      { endpoint: "not a url", keys },
      { endpoint: "http://push.example.test/x", keys },
      { endpoint: svc.origin + "/push/loopback", keys }, // loopback http: tests only
      { endpoint: "ftp://push.example.test/x", keys },
      { endpoint: "https://user:pw@push.example.test/x", keys },
      { endpoint: "https://push.example.test/" + "a".repeat(2048), keys },
      { endpoint: https(), keys: { ...keys, p256dh: keys.p256dh.slice(0, -4) } }, // too short
      { endpoint: https(), keys: { ...keys, p256dh: b64(new Uint8Array(66).fill(4)) } }, // too long
      { endpoint: https(), keys: { ...keys, p256dh: b64([2, ...new Array(32).fill(1)]) } }, // compressed point
      { endpoint: https(), keys: { ...keys, p256dh: notOnCurve } },
      { endpoint: https(), keys: { ...keys, p256dh: keys.p256dh.slice(0, -1) + "!" } },
      { endpoint: https(), keys: { ...keys, auth: b64(new Uint8Array(15)) } },
      { endpoint: https(), keys: { ...keys, auth: b64(new Uint8Array(17)) } },
      { endpoint: https(), keys: { ...keys, auth: Buffer.from(new Uint8Array(16)).toString("base64") + "+/" } },
      { endpoint: 5, keys },
    ];
    for (const body of bad) {
      const r = await call("POST", "/api/push/subscriptions", body, alice);
      expect({ body, status: r.status, code: r.body?.error?.code }).toEqual({ body, status: 400, code: "invalid_request" });
    }
    expect((await call("POST", "/api/push/subscriptions", "{nope", alice)).status).toBe(400);
    expect((await call("DELETE", "/api/push/subscriptions", {}, alice)).status).toBe(400);
  });

  test("PUSH-15 unauthenticated → 401", async () => {
    expect((await call("GET", "/api/push/key")).status).toBe(401);
    expect((await call("POST", "/api/push/subscriptions", { endpoint: https(), keys })).status).toBe(401);
    expect((await call("DELETE", "/api/push/subscriptions", { endpoint: https() })).status).toBe(401);
    const forged = { ...alice, accessToken: alice.accessToken.slice(0, -3) + "xyz" };
    expect((await call("GET", "/api/push/key", undefined, forged)).status).toBe(401);
  });
});

describe("push for offline users", () => {
  test("PUSH-E2E-1 a mention reaches a connected user as a notification frame, and an offline user as Web Push", async () => {
    const t = await startServer({ config: { pushAllowLoopbackHttp: true } });
    try {
      const [a, b] = await Promise.all([register(t.url), register(t.url)]);
      const room = await createRoom(t.url, a);
      await api(t.url, "POST", `/api/rooms/${room}/join`, undefined, b.accessToken);
      const sub = await svc.subscriber();
      expect((await api(t.url, "POST", "/api/push/subscriptions", sub.subscription, b.accessToken)).status).toBe(201);
      const ca = await Client.connect(t, a);
      const cb = await Client.connect(t, b);
      const online = await ca.request({ type: "send", room, clientMsgId: "m1", body: `@${b.user.username} you there?` });
      expect((await cb.next((f) => f.type === "notification")).seq).toBe(online.event.seq);
      cb.close();
      await cb.closed;
      await until(() => !t.ctx.presence.hasConnection(b.user.id), "the server to see b's socket close");
      const offline = await ca.request({ type: "send", room, clientMsgId: "m2", body: `@${b.user.username} ping while away` });
      await until(() => sub.received.length > 0, "the offline mention to be pushed");
      expect(sub.received).toHaveLength(1);
      expect(JSON.parse(sub.received[0].plaintext)).toMatchObject({ kind: "mention", room, seq: offline.event.seq });
      // A DM to an offline user is pushed too.
      const dm = (await api(t.url, "POST", "/api/dm", { username: b.user.username }, a.accessToken)).body.room.id;
      const d = await ca.request({ type: "send", room: dm, clientMsgId: "m3", body: "psst" });
      await until(() => sub.received.length >= 2, "the DM to be pushed");
      expect(sub.received).toHaveLength(2);
      expect(JSON.parse(sub.received[1].plaintext)).toMatchObject({ kind: "dm", room: dm, seq: d.event.seq, body: "psst" });
      ca.close();
    } finally {
      await t.stop();
    }
  });
});
