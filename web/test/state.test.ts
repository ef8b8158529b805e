// Unit tests (no browser): the one path for a room event (applyEvent), the outbox, the error type and its text, the router's paths.
import { beforeEach, expect, test } from "bun:test";
import type { MessageEvent, Room } from "../../server/protocol/types";

// The stores persist to localStorage; bun has none.
const mem = new Map<string, string>();
(globalThis as { localStorage?: unknown }).localStorage ??= {
  getItem: (k: string) => mem.get(k) ?? null,
  setItem: (k: string, v: string) => void mem.set(k, v),
  removeItem: (k: string) => void mem.delete(k),
};

const { setSession } = await import("../src/lib/api");
const { ApiError, describeError, parseError } = await import("../src/lib/errors");
const { applyEvent } = await import("../src/state/events");
const { addPending, clearOutbox, loadOutbox, outbox } = await import("../src/state/outbox");
const { clearRooms, rooms, setAllRooms } = await import("../src/state/rooms");
const freshRoom = () => (clearRooms(), setAllRooms([room()]));
const { parsePath } = await import("../src/state/route");

const me = { id: "u-me", username: "me", displayName: "Me", isAdmin: false };
const room = (r: Partial<Room> = {}): Room => ({ id: "r1", name: "design", kind: "public", topic: "", lastSeq: 10, lastReadSeq: 10, unread: 0, mentions: 0, lastActivity: 100, ...r });
const msg = (seq: number, sender: string, extra: Partial<MessageEvent> = {}): MessageEvent => ({ kind: "message", room: "r1", seq, sender, ts: 1000 + seq, msgId: `m${seq}`, clientMsgId: `c${seq}`, body: "hi", ...extra });

beforeEach(() => {
  setSession({ user: me, accessToken: "a", refreshToken: "r" });
  freshRoom();
  loadOutbox(me.id);
  clearOutbox();
  loadOutbox(me.id);
});

test("STATE-1 our own message counts once and marks the room read, whether the ack or the fan-out comes first", () => {
  const ev = msg(11, me.id);
  applyEvent(ev); // ack
  applyEvent(ev); // fan-out
  const once = { ...rooms.r1 };
  expect(once).toMatchObject({ lastSeq: 11, lastReadSeq: 11, unread: 0, lastActivity: 1011 });
  freshRoom();
  applyEvent(ev);
  expect({ ...rooms.r1 }).toEqual(once);
});

test("STATE-2 someone else's message counts as one unread however often it arrives", () => {
  applyEvent(msg(11, "u-other"));
  applyEvent(msg(11, "u-other"));
  expect(rooms.r1).toMatchObject({ lastSeq: 11, unread: 1, mentions: 0 });
  applyEvent(msg(12, "u-other", { body: "hey @me" }));
  expect(rooms.r1).toMatchObject({ lastSeq: 12, unread: 2, mentions: 1 });
});

test("STATE-3 the event of a pending send settles it (matched by room and clientMsgId)", () => {
  const p = addPending("r1", "hello");
  addPending("r1", "second");
  expect(outbox.list.length).toBe(2);
  applyEvent(msg(11, me.id, { clientMsgId: p.clientMsgId, room: "other" }));
  expect(outbox.list.length).toBe(2);
  applyEvent(msg(12, me.id, { clientMsgId: p.clientMsgId }));
  expect(outbox.list.map((x) => x.body)).toEqual(["second"]);
});

test("STATE-4 one error type: Retry-After seconds become ms, the envelope's code and message are kept", () => {
  const e = parseError(429, "Too Many Requests", '{"error":{"code":"rate_limited","message":"slow down"}}', "3");
  expect(e).toBeInstanceOf(ApiError);
  expect([e.status, e.code, e.message, e.retryAfterMs]).toEqual([429, "rate_limited", "slow down", 3000]);
  expect(describeError(e)).toBe("Too many attempts. Try again in 3 seconds.");
  expect(describeError(new ApiError(0, "rate_limited", "", 1200))).toBe("Too many attempts. Try again in 2 seconds.");
  const odd = parseError(502, "Bad Gateway", "<html>", null);
  expect([odd.code, odd.message, odd.retryAfterMs]).toEqual(["http_502", "Bad Gateway", undefined]);
});

test("STATE-5 error texts: uploads name the file, the 1.1 refusals read clearly, unknown errors are generic", () => {
  expect(describeError(new ApiError(415, "unsupported_type", "no"), "“a.svg”")).toStartWith("“a.svg” can't be shared");
  expect(describeError(new ApiError(413, "too_large", "limit is 26214400 bytes"), "“b.png”")).toBe("“b.png” is too large (the limit is 25 MB).");
  expect(describeError(new ApiError(403, "invite_required", "x"))).toContain("invite");
  expect(describeError(new ApiError(403, "invalid_invite", "x"))).toContain("no longer valid");
  expect(describeError(new ApiError(0, "disconnected", "Not connected"))).toBe("You're offline.");
  expect(describeError(new Error("boom"))).toBe("Something went wrong. Please try again.");
});

test("STATE-6 paths: rooms, pages and invite links", () => {
  expect(parsePath("/r/abc%20d")).toEqual({ room: "abc d", page: null, invite: null });
  expect(parsePath("/invite/XyZ_1")).toEqual({ room: null, page: null, invite: "XyZ_1" });
  expect(parsePath("/admin")).toEqual({ room: null, page: "admin", invite: null });
  expect(parsePath("/account/")).toEqual({ room: null, page: "account", invite: null });
  expect(parsePath("/nope")).toEqual({ room: null, page: null, invite: null });
});
