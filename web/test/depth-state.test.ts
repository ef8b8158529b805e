// Unit tests (no browser) of the conversation-depth state: thread summaries, folding previews and expiry, thread replies in
// the room timeline, delivery ticks, and the search dialog's filters and highlights.
import { beforeEach, expect, test } from "bun:test";
import type { MessageEvent, RoomEvent } from "../../server/protocol/types";

const mem = new Map<string, string>();
(globalThis as { localStorage?: unknown }).localStorage ??= {
  getItem: (k: string) => mem.get(k) ?? null,
  setItem: (k: string, v: string) => void mem.set(k, v),
  removeItem: (k: string) => void mem.delete(k),
};

const { fold, threadSummary } = await import("../src/state/fold");
const { tickFor, tickLabel, TICK_ROOM_MAX } = await import("../src/state/ticks");
const { clearTimelines, findMsg, ingest, loadLatest, timelines } = await import("../src/state/timeline");
const { addFilter, highlightSegments } = await import("../src/features/search/query");

const msg = (seq: number, sender: string, extra: Partial<MessageEvent> = {}): MessageEvent => ({ kind: "message", room: "r1", seq, sender, ts: 1000 + seq, msgId: `m${seq}`, clientMsgId: `c${seq}`, body: `b${seq}`, ...extra });

test("DEPTH-U1 threadSummary: history's summary plus only the live replies after it; duplicates count once", () => {
  const base = { replies: 2, lastReplyAt: 1005, participants: ["u1"] };
  const old = msg(5, "u1", { threadRoot: 1 }); // ts 1005: already counted by history
  const live = msg(7, "u2", { threadRoot: 1 });
  expect(threadSummary(base, [old, live, live])).toEqual({ replies: 3, lastReplyAt: 1007, participants: ["u1", "u2"] });
  expect(threadSummary(undefined, [live])).toEqual({ replies: 1, lastReplyAt: 1007, participants: ["u2"] });
  expect(threadSummary(undefined, [])).toBeUndefined();
  expect(base.participants).toEqual(["u1"]); // not mutated
});

test("DEPTH-U2 fold: a preview card attaches to its message; an expiry deletes it and says so; a forward keeps its origin", () => {
  const m = msg(3, "u1", { forwarded: { room: "r0", roomName: "news", sender: "u9", ts: 5 } });
  const pv = { kind: "preview" as const, room: "r1", seq: 4, sender: "u1", ts: 1004, msgSeq: 3, url: "https://x.test/a", title: "T", description: "D", siteName: "S" };
  const withCard = fold(m, [pv]);
  expect(withCard.preview).toMatchObject({ url: "https://x.test/a", title: "T", siteName: "S" });
  expect(withCard.forwarded).toEqual({ room: "r0", roomName: "news", sender: "u9", ts: 5 });
  const gone = fold(m, [pv, { kind: "delete", room: "r1", seq: 9, sender: "u1", ts: 1009, msgSeq: 3, expired: true }]);
  expect(gone).toMatchObject({ deleted: true, expired: true, body: "", preview: undefined });
  expect(fold(m, [{ kind: "delete", room: "r1", seq: 9, sender: "u1", ts: 1009, msgSeq: 3 }]).expired).toBe(false);
  // A card that arrives after the delete (out of order in a page) is not shown.
  expect(fold(m, [{ kind: "delete", room: "r1", seq: 5, sender: "u1", ts: 1005, msgSeq: 3 }, { ...pv, seq: 6 }]).preview).toBeUndefined();
});

beforeEach(() => clearTimelines());

test("DEPTH-U3 timeline: a thread reply stays out of the room list and counts on its root; alsoInRoom shows in both", async () => {
  await loadLatest("r1"); // no server here: the timeline exists with an error, ingest works
  expect(timelines.r1).toBeDefined();
  ingest("r1", [msg(1, "u1", { thread: { replies: 1, lastReplyAt: 1002, participants: ["u2"] } }), msg(2, "u2", { threadRoot: 1 })]);
  expect(timelines.r1.items.map((i) => i.seq)).toEqual([1]);
  expect(findMsg("r1", 1)?.thread).toEqual({ replies: 1, lastReplyAt: 1002, participants: ["u2"] });
  ingest("r1", [msg(3, "u3", { threadRoot: 1 })]);
  expect(findMsg("r1", 1)?.thread).toEqual({ replies: 2, lastReplyAt: 1003, participants: ["u2", "u3"] });
  ingest("r1", [msg(4, "u2", { threadRoot: 1, alsoInRoom: true })]);
  expect(timelines.r1.items.map((i) => i.seq)).toEqual([1, 4]);
  expect(findMsg("r1", 1)?.thread?.replies).toBe(3);
  // Replays change nothing; the contiguous head covers the replies.
  ingest("r1", [msg(3, "u3", { threadRoot: 1 }), msg(4, "u2", { threadRoot: 1, alsoInRoom: true })] as RoomEvent[]);
  expect(findMsg("r1", 1)?.thread?.replies).toBe(3);
  expect(timelines.r1.head).toBe(4);
  // A preview event for a message in the list fills its card.
  ingest("r1", [{ kind: "preview", room: "r1", seq: 5, sender: "u2", ts: 1005, msgSeq: 4, url: "https://x.test", title: "X" } as unknown as RoomEvent]);
  expect(findMsg("r1", 4)?.preview?.title).toBe("X");
  expect(timelines.r1.head).toBe(5);
});

test("DEPTH-U4 ticks: one until every other member has it, two after; above the limit, how many", () => {
  expect(tickFor(5, "me", undefined, {})).toEqual({ state: "sent" });
  expect(tickFor(5, "me", ["me"], {})).toEqual({ state: "sent" });
  expect(tickFor(5, "me", ["me", "a", "b"], { a: 5, b: 4 })).toEqual({ state: "sent" });
  expect(tickFor(5, "me", ["me", "a", "b"], { a: 5, b: 9 })).toEqual({ state: "delivered" });
  const many = ["me", ...Array.from({ length: TICK_ROOM_MAX + 1 }, (_, i) => `u${i}`)];
  expect(tickFor(5, "me", many, { u0: 5, u1: 6, u2: 4 })).toEqual({ state: "count", n: 2 });
  expect(tickFor(5, "me", many.slice(0, TICK_ROOM_MAX + 1), Object.fromEntries(many.map((u) => [u, 5])))).toEqual({ state: "delivered" });
  expect([tickLabel({ state: "sent" }), tickLabel({ state: "delivered" }), tickLabel({ state: "count", n: 7 })]).toEqual(["Sent", "Delivered", "Delivered to 7"]);
});

test("DEPTH-U5 search: chips add their filter once; highlights split the snippet around the first match", () => {
  expect(addFilter("", "has:image")).toBe("has:image ");
  expect(addFilter("budget", "from:")).toBe("budget from:");
  expect(addFilter("budget has:file ", "has:file")).toBe("budget has:file ");
  expect(addFilter("budget from:", "from:")).toBe("budget from:");
  const body = "The quarterly budget review\nis on Friday; bring the budget sheet.";
  const at = body.lastIndexOf("budget");
  const segs = highlightSegments(body, [[14, 20], [at, at + 6]]);
  expect(segs.filter((s) => s.mark).map((s) => s.text)).toEqual(["budget", "budget"]);
  expect(segs.map((s) => s.text).join("")).toBe("The quarterly budget review is on Friday; bring the budget sheet.");
  const long = "x".repeat(300) + " needle " + "y".repeat(300);
  const cut = highlightSegments(long, [[301, 307]]);
  expect(cut[0]).toEqual({ text: "…", mark: false });
  expect(cut.find((s) => s.mark)?.text).toBe("needle");
  expect(cut[cut.length - 1]).toEqual({ text: "…", mark: false });
  // Bad ranges are ignored; no highlights: the start of the body.
  expect(highlightSegments("hello", [[3, 99], [-1, 2]])).toEqual([{ text: "hello", mark: false }]);
  expect(highlightSegments("hello", undefined)).toEqual([{ text: "hello", mark: false }]);
});
