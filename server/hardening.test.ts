// Issue 12's defects, each as the reproduction that found it: text that cannot be stored as sent,
// 500s on bad input, mute/slow mode on every posting frame, body caps with the error envelope, and
// the hardening of forms, CSP, nosniff and bidi controls in names. HTTP and WebSocket only, so
// `make test` runs it against the compiled binary too. (HARD-1, the login limit: features/auth/login-limit.test.ts.)

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, Client, createRoom, register, startServer, uniqueName, type Session, type TestServer } from "./test/harness";

/** Small, so the test of a body past it is quick; the default (25 MiB) is no different to the cap logic. */
const UPLOAD_MAX = 2 * 1024 * 1024;

const PASSWORD = "correct horse battery";

/** `depth` arrays inside each other around a string: `[[[…"x"…]]]`. */
const nested = (depth: number) => "[".repeat(depth) + '"x"' + "]".repeat(depth);

function expectEnvelope(r: { status: number; body: any; headers: Headers }, status: number, code: string) {
  expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status, code });
  expect(typeof r.body.error.message).toBe("string");
  expect(r.headers.get("content-type")).toContain("application/json");
}

describe("hardening of input", () => {
  let s: TestServer, alice: Session, bob: Session, room: string, ca: Client, cb: Client;
  beforeAll(async () => {
    s = await startServer({ config: { uploadMaxBytes: UPLOAD_MAX } });
    [alice, bob] = [await register(s.url), await register(s.url)];
    room = await createRoom(s.url, alice);
    expect((await api(s.url, "POST", `/api/rooms/${room}/join`, undefined, bob.accessToken)).status).toBe(200);
    [ca, cb] = [await Client.connect(s, alice), await Client.connect(s, bob)];
  });
  afterAll(async () => {
    ca?.close();
    cb?.close();
    await s.stop();
  });

  const send = (c: Client, body: string, extra: Record<string, unknown> = {}) => c.request({ type: "send", room, body, clientMsgId: crypto.randomUUID(), ...extra });

  test("HARD-3 frames with NUL, other control characters or lone surrogates are invalid_request, nothing is stored", async () => {
    const before = (await api(s.url, "GET", `/api/rooms/${room}/messages`, undefined, alice.accessToken)).body.events.length;
    for (const body of ["visible\u0000hidden", "bell\u0007", "esc\u001b[31m", "del\u007f", "c1\u0085", "cr\r", "lone \ud800 high", "lone \udfff low", "swapped \udc00\ud800"]) {
      const r = await send(ca, body);
      expect({ body, type: r.type, code: r.code }).toEqual({ body, type: "error", code: "invalid_request" });
    }
    expect((await ca.request({ type: "send", room, body: "ok", clientMsgId: "id\u0000x" })).code).toBe("invalid_request");
    const ok = await send(ca, "tab\tnewline\nemoji 😀 and bidi \u202e in a body");
    expect(ok.type).toBe("ok");
    expect((await ca.request({ type: "edit", room, msgSeq: ok.event.seq, body: "edited\u0000hidden" })).code).toBe("invalid_request");
    expect((await ca.request({ type: "react", room, msgSeq: ok.event.seq, emoji: "\ud83d", on: true })).code).toBe("invalid_request");
    const after = (await api(s.url, "GET", `/api/rooms/${room}/messages`, undefined, alice.accessToken)).body.events;
    expect(after.length).toBe(before + 1);
    expect(after.at(-1).body).toBe("tab\tnewline\nemoji 😀 and bidi \u202e in a body");
  });

  test("HARD-3 HTTP text fields refuse the same: room names and topics, display names, usernames, the search query", async () => {
    const t = alice.accessToken;
    expectEnvelope(await api(s.url, "POST", "/api/rooms", { name: "a\u0000b", kind: "public" }, t), 400, "invalid_request");
    expectEnvelope(await api(s.url, "POST", "/api/rooms", { name: "ok", kind: "public", topic: "t\ud800" }, t), 400, "invalid_request");
    expectEnvelope(await api(s.url, "PATCH", `/api/rooms/${room}`, { topic: "x\u0000y" }, t), 400, "invalid_request");
    expectEnvelope(await api(s.url, "PATCH", `/api/rooms/${room}`, { name: "x\u0001y" }, t), 400, "invalid_request");
    expectEnvelope(await api(s.url, "POST", "/api/auth/register", { username: uniqueName(), password: PASSWORD, displayName: "Eve\u0000Admin" }), 400, "invalid_request");
    expectEnvelope(await api(s.url, "POST", "/api/auth/register", { username: "a\u0000bcd", password: PASSWORD }), 400, "invalid_request");
    expectEnvelope(await api(s.url, "GET", `/api/search?q=${encodeURIComponent("abc\u0000")}`, undefined, t), 400, "invalid_request");
    expectEnvelope(await api(s.url, "GET", `/api/search?q=%00`, undefined, t), 400, "invalid_request");
    expect((await api(s.url, "PATCH", `/api/rooms/${room}`, { topic: "line one\nline two\twith a tab" }, t)).status).toBe(200);
  });

  test("HARD-4 fractional and out-of-range numbers in the query are 400, never 500", async () => {
    const t = alice.accessToken;
    for (const path of [
      "/api/search?q=abc&limit=1.5", "/api/search?q=abc&before=2.5", "/api/search?q=abc&limit=1e400",
      `/api/rooms/${room}/messages?limit=1.5`, `/api/rooms/${room}/messages?before=0.5`, `/api/rooms/${room}/messages?after=1e999`,
      "/api/users?q=abc&limit=1.5", "/api/admin/users?limit=2.5",
    ]) {
      const r = await api(s.url, "GET", path, undefined, t);
      expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status: 400, code: "invalid_request" });
    }
  });

  test("HARD-4 a page path too long for the file system is the page, not a 500 (found by the fuzzer)", async () => {
    const r = await fetch(`${s.url}/${"x".repeat(5000)}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
  });

  test("HARD-4 any search query is answered without a 500: quotes, FTS operators, unbalanced syntax", async () => {
    for (const q of ['"', '"""', "a\"b", "NEAR(a b)", "x OR", "*", "^abc", "abc AND", "(((", "col:abc", "'; DROP", "\\", "%_%", "🙂🙂🙂", "   ", "ab", "a\u200bb"]) {
      const r = await api(s.url, "GET", `/api/search?q=${encodeURIComponent(q)}`, undefined, alice.accessToken);
      expect({ q, ok: r.status === 200 || r.status === 400 }).toEqual({ q, ok: true });
    }
  });

  test("HARD-4 a 10,000-level nested array in any JSON field is 400 invalid_request, unauthenticated or not", async () => {
    const deep = nested(10_000);
    const t = alice.accessToken;
    const cases: [string, string, string, string?][] = [
      ["POST", "/api/auth/login", `{"username":${deep},"password":"x"}`],
      ["POST", "/api/auth/register", `{"username":"abc","password":${deep}}`],
      ["POST", "/api/auth/refresh", `{"refreshToken":${deep}}`],
      ["POST", "/api/auth/logout", deep],
      ["POST", "/api/dm", `{"username":${deep}}`, t],
      ["POST", "/api/rooms", `{"name":${deep},"kind":"public"}`, t],
      ["PATCH", `/api/rooms/${room}`, `{"topic":${deep}}`, t],
      ["POST", "/api/push/subscriptions", `{"endpoint":${deep},"keys":{"p256dh":"x","auth":"y"}}`, t],
    ];
    for (const [method, path, body, token] of cases) {
      const r = await api(s.url, method, path, body, token);
      expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({ path, status: 400, code: "invalid_request" });
    }
    // The same over the socket: an error frame, and the connection still answers.
    ca.send(`{"type":"send","id":"deep","room":"${room}","clientMsgId":"x","body":${deep}}`);
    expect((await ca.next((f) => f.id === "deep")).code).toBe("invalid_request");
    expect((await ca.request({ type: "ping" })).type).toBe("pong");
  });

  test("HARD-5 a muted member cannot edit or react either; unmuted, they can", async () => {
    const mine = await send(cb, "before the mute");
    const theirs = await send(ca, "alice's message");
    expect((await api(s.url, "POST", `/api/rooms/${room}/members/${bob.user.id}/mute`, { seconds: 600 }, alice.accessToken)).status).toBe(200);
    await cb.next((f) => f.type === "event" && f.event.change === "mute" && f.event.until);
    expect((await send(cb, "muted")).code).toBe("forbidden");
    expect((await cb.request({ type: "edit", room, msgSeq: mine.event.seq, body: "text by editing" })).code).toBe("forbidden");
    expect((await cb.request({ type: "react", room, msgSeq: theirs.event.seq, emoji: "👍", on: true })).code).toBe("forbidden");
    expect((await api(s.url, "POST", `/api/rooms/${room}/members/${bob.user.id}/mute`, { seconds: 0 }, alice.accessToken)).status).toBe(200);
    await cb.next((f) => f.type === "event" && f.event.change === "mute" && f.event.until === null);
    expect((await cb.request({ type: "edit", room, msgSeq: mine.event.seq, body: "edited after" })).type).toBe("ok");
    expect((await cb.request({ type: "react", room, msgSeq: theirs.event.seq, emoji: "👍", on: true })).type).toBe("ok");
  });

  test("HARD-5 slow mode: an edit or a reaction spends the same turn as a send", async () => {
    const slow = await createRoom(s.url, alice);
    expect((await api(s.url, "POST", `/api/rooms/${slow}/join`, undefined, bob.accessToken)).status).toBe(200);
    const target = await ca.request({ type: "send", room: slow, body: "react to me", clientMsgId: crypto.randomUUID() });
    expect((await api(s.url, "PATCH", `/api/rooms/${slow}`, { slowModeSec: 600 }, alice.accessToken)).status).toBe(200);
    await cb.next((f) => f.type === "event" && f.event.room === slow && f.event.slowModeSec === 600);
    const first = await cb.request({ type: "send", room: slow, body: "one", clientMsgId: crypto.randomUUID() });
    expect(first.type).toBe("ok");
    const edit = await cb.request({ type: "edit", room: slow, msgSeq: first.event.seq, body: "one, edited" });
    expect({ code: edit.code, wait: edit.retryAfterMs > 0 }).toEqual({ code: "rate_limited", wait: true });
    expect((await cb.request({ type: "react", room: slow, msgSeq: target.event.seq, emoji: "🐌", on: true })).code).toBe("rate_limited");
  });

  test("HARD-6 a body over the small cap gets 413 too_large with the envelope, on every JSON route", async () => {
    const big = JSON.stringify({ username: "x".repeat(100 * 1024), password: "y" });
    expectEnvelope(await api(s.url, "POST", "/api/auth/login", big), 413, "too_large");
    expectEnvelope(await api(s.url, "POST", "/api/rooms", JSON.stringify({ name: "x".repeat(70_000), kind: "public" }), alice.accessToken), 413, "too_large");
    // Past even the upload limit: still the envelope, not a bare 413.
    expectEnvelope(await api(s.url, "POST", "/api/auth/register", "x".repeat(UPLOAD_MAX + 1024 * 1024)), 413, "too_large");
  });

  test("HARD-6 the cap holds before the body is read: a login body that never ends is refused once past 64 KiB", async () => {
    const chunk = new Uint8Array(16 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 80 * 1024) return new Promise(() => {}); // and then nothing more, ever
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const r = await fetch(s.url + "/api/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    expect(r.status).toBe(413);
    expect((await r.json()).error.code).toBe("too_large");
  });

  test("HARD-6 uploads still take large bodies", async () => {
    const form = new FormData();
    form.append("file", new File(["a line of text\n".repeat(20_000)], "notes.txt", { type: "text/plain" }));
    const r = await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", headers: { authorization: `Bearer ${alice.accessToken}` }, body: form });
    expect(r.status).toBe(201);
    // A large body must declare its length: a chunked one could only be counted while it is read.
    const chunked = new Response(form).body!;
    const c = await fetch(`${s.url}/api/rooms/${room}/uploads`, { method: "POST", headers: { authorization: `Bearer ${alice.accessToken}`, "content-type": "multipart/form-data; boundary=x" }, body: chunked, duplex: "half" } as RequestInit);
    expect({ status: c.status, code: (await c.json()).error.code }).toEqual({ status: 400, code: "invalid_request" });
  });

  test("HARD-11 register and login take JSON only: a form or text/plain body is 415 with the envelope", async () => {
    for (const path of ["/api/auth/register", "/api/auth/login"]) {
      const form = await fetch(s.url + path, { method: "POST", body: new URLSearchParams({ username: uniqueName(), password: PASSWORD }) });
      expect({ path, status: form.status, code: (await form.json()).error.code }).toEqual({ path, status: 415, code: "unsupported_type" });
      const plain = await fetch(s.url + path, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ username: uniqueName(), password: PASSWORD }) });
      expect({ path, status: plain.status }).toEqual({ path, status: 415 });
      const multipart = new FormData();
      multipart.append("username", uniqueName());
      multipart.append("password", PASSWORD);
      expect((await fetch(s.url + path, { method: "POST", body: multipart })).status).toBe(415);
    }
  });

  test("HARD-11 API answers carry nosniff; the page's CSP connects to its own origin only", async () => {
    for (const r of [
      await api(s.url, "GET", "/api/me", undefined, alice.accessToken),
      await api(s.url, "GET", `/api/rooms/${room}/messages`, undefined, alice.accessToken), // a Response of the handler's own
      await api(s.url, "GET", "/api/me"),
      await api(s.url, "GET", "/api/nope"),
      await api(s.url, "POST", "/api/auth/login", "{"),
    ]) expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    const page = await fetch(s.url + "/");
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/connect-src[^;]*\b(ws|wss):/);
  });

  test("HARD-11 bidi override and isolate controls are refused in names, kept in message bodies", async () => {
    for (const c of ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]) {
      const name = `evil${c}gpj.exe`;
      expectEnvelope(await api(s.url, "POST", "/api/auth/register", { username: uniqueName(), password: PASSWORD, displayName: name }), 400, "invalid_request");
      expectEnvelope(await api(s.url, "POST", "/api/rooms", { name, kind: "public" }, alice.accessToken), 400, "invalid_request");
      expectEnvelope(await api(s.url, "PATCH", `/api/rooms/${room}`, { name }, alice.accessToken), 400, "invalid_request");
    }
    expect((await api(s.url, "POST", "/api/rooms", { name: "שלום world", kind: "public" }, alice.accessToken)).status).toBe(201);
  });
});
