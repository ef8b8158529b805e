// WebSocket contract over real sockets: opening, send/ok/event, idempotency, limits, errors, origin.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, api, createRoom, register, startServer, type Session, type TestServer } from "../test/harness";

let s: TestServer;
let alice: Session;
let bob: Session;
let room: string;

beforeAll(async () => {
  s = await startServer({ config: { writeBurst: 1000, writeRatePerSec: 1000 } });
  alice = await register(s.url);
  bob = await register(s.url);
  room = await createRoom(s.url, alice);
  await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken);
});
afterAll(() => s.stop());

describe("opening", () => {
  test("WS-OPEN-1 hello with a valid token gets welcome with user, sessionId, serverTime and rooms", async () => {
    const c = await Client.connect(s, alice);
    const w = c.frames[0];
    expect(w.type).toBe("welcome");
    expect(w.user.id).toBe(alice.user.id);
    expect(typeof w.sessionId).toBe("string");
    expect(typeof w.serverTime).toBe("number");
    expect(w.rooms.map((r: any) => r.id)).toContain(room);
    const r = w.rooms.find((x: any) => x.id === room);
    expect(r.lastSeq).toBeGreaterThan(0);
    c.close();
  });

  test("WS-OPEN-2 a bad token closes with 4001", async () => {
    const c = new Client(s.wsUrl);
    await c.opened;
    c.send({ type: "hello", token: "not-a-token" });
    expect((await c.closed).code).toBe(4001);
  });

  test("WS-OPEN-3 a first frame that is not a valid hello closes with 4001", async () => {
    const firsts: (object | string)[] = [
      { type: "ping" },
      "{nope",
      { type: "hello" },
      { type: "hello", token: 5 },
      { type: "hello", token: "a".repeat(4097) },
      // A good token does not excuse a bad `since` or `id`.
      { type: "hello", token: alice.accessToken, since: { [room]: -1 } },
      { type: "hello", token: alice.accessToken, since: { [room]: "1" } },
      { type: "hello", token: alice.accessToken, id: 5 },
    ];
    for (const first of firsts) {
      const c = new Client(s.wsUrl);
      await c.opened;
      c.send(first);
      expect({ first, ...(await c.closed) }).toEqual({ first, code: 4001, reason: "hello expected" });
      expect(c.frames).toEqual([]);
    }
  });

  test("WS-OPEN-4 no hello within the timeout closes with 4001", async () => {
    const t = await startServer({ config: { helloTimeoutMs: 200 } });
    try {
      const c = new Client(t.wsUrl);
      await c.opened;
      expect((await c.closed).code).toBe(4001);
    } finally {
      await t.stop();
    }
  });

  test("WS-OPEN-5 an Origin outside the allowlist gets 403 before the upgrade; same origin and no Origin are allowed", async () => {
    const foreign = await fetch(s.url + "/ws", {
      headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13", origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).error.code).toBe("forbidden");
    const bad = new Client(s.wsUrl, { origin: "https://evil.example" });
    await expect(bad.opened).rejects.toThrow();
    const same = new Client(s.wsUrl, { origin: s.url });
    await same.opened;
    same.close();
    const t = await startServer({ config: { allowedOrigins: ["https://chat.example"] } });
    try {
      const listed = new Client(t.wsUrl, { origin: "https://chat.example" });
      await listed.opened;
      listed.close();
    } finally {
      await t.stop();
    }
  });

  test("WS-OPEN-6 frames sent right after hello, before welcome arrives, are answered", async () => {
    const c = new Client(s.wsUrl);
    await c.opened;
    c.send({ type: "hello", token: alice.accessToken });
    c.send({ type: "ping", id: "early" });
    await c.next((f) => f.type === "welcome");
    expect((await c.next((f) => f.id === "early")).type).toBe("pong");
    c.close();
  });
});

describe("send", () => {
  test("WS-SEND-1 ok carries the stored event; the event reaches every member and the sender's other connection", async () => {
    const a1 = await Client.connect(s, alice);
    const a2 = await Client.connect(s, alice);
    const b = await Client.connect(s, bob);
    const ok = await a1.request({ type: "send", room, clientMsgId: "m-1", body: "hello bob" });
    expect(ok.type).toBe("ok");
    expect(ok.event).toMatchObject({ room, kind: "message", sender: alice.user.id, clientMsgId: "m-1", body: "hello bob" });
    expect(typeof ok.event.msgId).toBe("string");
    expect(typeof ok.event.ts).toBe("number");
    for (const c of [a1, a2, b]) {
      const e = await c.next((f) => f.type === "event" && f.event.clientMsgId === "m-1");
      expect(e.event.seq).toBe(ok.event.seq);
      expect(e.id).toBeUndefined();
    }
    for (const c of [a1, a2, b]) c.close();
  });

  test("WS-SEND-2 the same clientMsgId twice stores one event and answers the first again (same connection)", async () => {
    const c = await Client.connect(s, alice);
    const first = await c.request({ type: "send", room, clientMsgId: "dup-1", body: "once" });
    const second = await c.request({ type: "send", room, clientMsgId: "dup-1", body: "once (retry)" });
    expect(second.event).toEqual(first.event);
    const h = await c.request({ type: "history", room, limit: 200 });
    expect(h.events.filter((e: any) => e.clientMsgId === "dup-1")).toHaveLength(1);
    c.close();
  });

  test("WS-SEND-3 idempotent across a reconnect, and no second event is fanned out", async () => {
    const b = await Client.connect(s, bob);
    const c1 = await Client.connect(s, alice);
    const first = await c1.request({ type: "send", room, clientMsgId: "dup-2", body: "x" });
    c1.close();
    await c1.closed;
    const c2 = await Client.connect(s, alice);
    const again = await c2.request({ type: "send", room, clientMsgId: "dup-2", body: "x" });
    expect(again.event.seq).toBe(first.event.seq);
    const marker = await c2.request({ type: "send", room, clientMsgId: "after-dup-2", body: "marker" });
    await b.next((f) => f.type === "event" && f.event.seq === marker.event.seq);
    expect(b.events(room).filter((e: any) => e.clientMsgId === "dup-2")).toHaveLength(1);
    c2.close();
    b.close();
  });

  test("WS-SEND-4 seq is gapless and ordered under 20 concurrent senders into one room", async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => register(s.url)));
    const r = await createRoom(s.url, users[0]);
    await Promise.all(users.slice(1).map((u) => api(s.url, "POST", `/api/rooms/${r}/join`, undefined, u.accessToken)));
    const watcher = await Client.connect(s, users[0]);
    const clients = await Promise.all(users.map((u) => Client.connect(s, u)));
    const start = (await api(s.url, "GET", "/api/rooms", undefined, users[0].accessToken)).body.rooms.find((x: any) => x.id === r).lastSeq;
    const PER = 10;
    const acks = await Promise.all(
      clients.flatMap((c, i) => Array.from({ length: PER }, (_, k) => c.request({ type: "send", room: r, clientMsgId: `c${i}-${k}`, body: `from ${i} #${k}` }))),
    );
    const seqs = acks.map((a) => a.event.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 20 * PER }, (_, i) => start + 1 + i));
    const got = (await watcher.waitEvents(r, 20 * PER, "message")).map((e) => e.seq);
    expect(got).toEqual(seqs);
    // Per sender, the order of acks follows the order of sending.
    for (let i = 0; i < 20; i++) {
      const mine = acks.slice(i * PER, (i + 1) * PER).map((a) => a.event.seq);
      expect(mine).toEqual([...mine].sort((x, y) => x - y));
    }
    for (const c of [watcher, ...clients]) c.close();
  });
});

describe("errors and limits", () => {
  test("WS-ERR-1 malformed JSON, unknown type, missing fields, wrong types → invalid_request; the socket stays open", async () => {
    const c = await Client.connect(s, alice);
    const cases: [string, string | undefined][] = [
      ["{nope", undefined],
      ['"a string"', undefined],
      [JSON.stringify({ type: "teleport", id: "u1" }), "u1"],
      [JSON.stringify({ type: "send", id: "u2", room }), "u2"],
      [JSON.stringify({ type: "send", id: "u3", room, clientMsgId: 5, body: "x" }), "u3"],
      [JSON.stringify({ type: "history", id: "u4", room, before: -1 }), "u4"],
      [JSON.stringify({ type: "hello", id: "u5", token: "again" }), "u5"],
    ];
    for (const [raw, id] of cases) {
      const from = c.frames.length;
      c.send(raw);
      const f = await c.next((x) => x.type === "error", { from });
      expect(f.code).toBe("invalid_request");
      expect(typeof f.message).toBe("string");
      if (id) expect(f.id).toBe(id);
    }
    expect((await c.request({ type: "ping" })).type).toBe("pong");
    c.close();
  });

  test("WS-ERR-2 a 4,001-character body is invalid_request, nothing is stored, the socket stays open", async () => {
    const c = await Client.connect(s, alice);
    const r = await c.request({ type: "send", room, clientMsgId: "long-1", body: "a".repeat(4001) });
    expect(r.type).toBe("error");
    expect(r.code).toBe("invalid_request");
    const ok = await c.request({ type: "send", room, clientMsgId: "long-2", body: "a".repeat(4000) });
    expect(ok.type).toBe("ok");
    const h = await c.request({ type: "history", room, limit: 200 });
    expect(h.events.some((e: any) => e.clientMsgId === "long-1")).toBe(false);
    c.close();
  });

  test("WS-ERR-3 a frame over 64 KiB closes with 1009", async () => {
    const c = await Client.connect(s, alice);
    c.send(JSON.stringify({ type: "send", room, clientMsgId: "big", body: "x".repeat(70 * 1024) }));
    expect((await c.closed).code).toBe(1009);
  });

  test("WS-ERR-4 a non-member gets forbidden (public) / not_found (private or absent) for send and history", async () => {
    const mallory = await register(s.url);
    const priv = await createRoom(s.url, alice, "private");
    const c = await Client.connect(s, mallory);
    expect((await c.request({ type: "send", room, clientMsgId: "x", body: "hi" })).code).toBe("forbidden");
    expect((await c.request({ type: "history", room })).code).toBe("forbidden");
    expect((await c.request({ type: "send", room: priv, clientMsgId: "x", body: "hi" })).code).toBe("not_found");
    expect((await c.request({ type: "history", room: priv })).code).toBe("not_found");
    expect((await c.request({ type: "history", room: "does-not-exist" })).code).toBe("not_found");
    expect(c.events(priv)).toHaveLength(0);
    c.close();
  });

  test("WS-ERR-5 flooding: rate_limited with retryAfterMs, then close 4008", async () => {
    const t = await startServer({ config: { writeBurst: 20, writeRatePerSec: 5 } });
    try {
      const u = await register(t.url);
      const r = await createRoom(t.url, u);
      const c = await Client.connect(t, u);
      for (let i = 0; i < 200; i++) c.send({ type: "send", id: `f${i}`, room: r, clientMsgId: `f${i}`, body: "spam" });
      const limited = await c.next((f) => f.type === "error" && f.code === "rate_limited");
      expect(limited.retryAfterMs).toBeGreaterThan(0);
      expect((await c.closed).code).toBe(4008);
      // The burst was accepted and stored (acks may not arrive: the socket was closed first; a resend is idempotent).
      await t.ctx.writer.drain();
      const h = await api(t.url, "GET", `/api/rooms/${r}/messages?limit=200`, undefined, u.accessToken);
      const stored = h.body.events.filter((e: any) => e.kind === "message").length;
      expect(stored).toBeGreaterThanOrEqual(20);
      expect(stored).toBeLessThan(30);
    } finally {
      await t.stop();
    }
  });

  test("WS-ERR-6 ping answers pong with serverTime and the request id", async () => {
    const c = await Client.connect(s, bob);
    const p = await c.request({ type: "ping" });
    expect(p.type).toBe("pong");
    expect(typeof p.serverTime).toBe("number");
    c.close();
  });

  test("WS-ERR-7 binary frames are invalid_request", async () => {
    const c = await Client.connect(s, bob);
    const from = c.frames.length;
    c.ws.send(new Uint8Array([1, 2, 3]));
    expect((await c.next((f) => f.type === "error", { from })).code).toBe("invalid_request");
    c.close();
  });

  // The messages are wire text clients may show: a schema change that alters one fails here.
  test("WS-ERR-8 every frame type: a missing, mistyped or oversized field is invalid_request naming that field", async () => {
    const c = await Client.connect(s, alice);
    const long = (n: number) => "a".repeat(n);
    const send = { type: "send", room, clientMsgId: "err8", body: "x" };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...send, room: "" }, "room: Expected string length greater or equal to 1"],
      [{ ...send, room: long(65) }, "room: Expected string length less or equal to 64"],
      [{ ...send, clientMsgId: "" }, "clientMsgId: Expected string length greater or equal to 1"],
      [{ ...send, clientMsgId: long(65) }, "clientMsgId: Expected string length less or equal to 64"],
      [{ type: "send", room, clientMsgId: "err8" }, "body: Expected required property"],
      [{ ...send, body: long(8001) }, "body: Expected string length less or equal to 8000"],
      [{ ...send, replyTo: 0 }, "replyTo: Expected integer to be greater or equal to 1"],
      [{ ...send, attachments: Array(11).fill("a") }, "attachments: Expected array length to be less or equal to 10"],
      [{ ...send, attachments: [long(65)] }, "attachments/0: Expected string length less or equal to 64"],
      [{ type: "edit", room, body: "x" }, "msgSeq: Expected required property"],
      [{ type: "edit", room, msgSeq: 1.5, body: "x" }, "msgSeq: Expected integer"],
      [{ type: "edit", room, msgSeq: 1 }, "body: Expected required property"],
      [{ type: "delete", room, msgSeq: 0 }, "msgSeq: Expected integer to be greater or equal to 1"],
      [{ type: "delete", room: 5, msgSeq: 1 }, "room: Expected string"],
      [{ type: "react", room, msgSeq: 1, emoji: "", on: true }, "emoji: Expected string length greater or equal to 1"],
      [{ type: "react", room, msgSeq: 1, emoji: long(33), on: true }, "emoji: Expected string length less or equal to 32"],
      [{ type: "react", room, msgSeq: 1, emoji: "x", on: "yes" }, "on: Expected boolean"],
      [{ type: "react", room, msgSeq: 1, on: true }, "emoji: Expected required property"],
      [{ type: "history", room, limit: 0 }, "limit: Expected integer to be greater or equal to 1"],
      [{ type: "history", room, after: "x" }, "after: Expected integer"],
      [{ type: "typing" }, "room: Expected required property"],
      [{ type: "read", room }, "seq: Expected required property"],
      [{ type: "read", room, seq: -1 }, "seq: Expected integer to be greater or equal to 0"],
      [{ type: "presence", status: "offline" }, "status: Expected union value"],
      [{ type: "presence" }, "status: Expected required property"],
    ];
    for (const [frame, message] of cases) {
      const r = await c.request(frame);
      expect({ frame: frame.type, type: r.type, code: r.code, message: r.message }).toEqual({ frame: frame.type, type: "error", code: "invalid_request", message });
    }
    // A request id that is not a string of at most 64 characters is refused and not echoed.
    for (const [id, message] of [[5, "id: Expected string"], ["a".repeat(65), "id: Expected string length less or equal to 64"]] as const) {
      const from = c.frames.length;
      c.send({ type: "ping", id });
      const f = await c.next((x) => x.type === "error", { from });
      expect(f).toEqual({ type: "error", code: "invalid_request", message });
    }
    expect((await c.request({ type: "history", room, limit: 200 })).events.some((e: any) => e.clientMsgId === "err8")).toBe(false);
    expect((await c.request({ type: "ping" })).type).toBe("pong");
    c.close();
  });

  test("WS-ERR-9 a type named like an Object.prototype member (toString, __proto__) is an unknown frame type", async () => {
    const c = await Client.connect(s, alice);
    for (const type of ["toString", "__proto__", "constructor", "hasOwnProperty"]) {
      const r = await c.request({ type });
      expect(r).toMatchObject({ type: "error", code: "invalid_request", message: `unknown frame type ${JSON.stringify(type)}` });
    }
    expect((await c.request({ type: "ping" })).type).toBe("pong");
    c.close();
  });
});
