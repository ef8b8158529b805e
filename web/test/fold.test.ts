// Unit tests (no browser): folding edits/deletes/reactions onto messages.
import { expect, test } from "bun:test";
import type { MessageEvent, RoomEvent } from "../../server/protocol/types";
import { fold, type Mod } from "../src/state/fold";

const msg: MessageEvent = { kind: "message", room: "r", seq: 5, sender: "a", ts: 1, msgId: "m", clientMsgId: "c", body: "hi" };
const mod = (e: Partial<RoomEvent> & { kind: Mod["kind"]; seq: number }) => ({ room: "r", sender: "b", ts: 10 + e.seq, msgSeq: 5, ...e }) as Mod;

test("edits apply in seq order and mark the message edited", () => {
  const out = fold(msg, [mod({ kind: "edit", seq: 9, body: "third" } as never), mod({ kind: "edit", seq: 7, body: "second" } as never)]);
  expect(out.body).toBe("third");
  expect(out.editedAt).toBe(19);
});

test("delete wins and clears the body", () => {
  const out = fold(msg, [mod({ kind: "edit", seq: 6, body: "x" } as never), mod({ kind: "delete", seq: 8 })]);
  expect(out.deleted).toBe(true);
  expect(out.body).toBe("");
});

test("reactions toggle per user, idempotently, over a snapshot that already has them", () => {
  const snap: MessageEvent = { ...msg, reactions: { "👍": ["b"] } };
  const on = mod({ kind: "reaction", seq: 6, emoji: "👍", on: true } as never);
  const off = { ...mod({ kind: "reaction", seq: 7, emoji: "👍", on: false } as never), sender: "b" } as Mod;
  const c = { ...mod({ kind: "reaction", seq: 8, emoji: "🎉", on: true } as never), sender: "c" } as Mod;
  expect(fold(snap, [on]).reactions).toEqual({ "👍": ["b"] });
  expect(fold(snap, [c, off, on]).reactions).toEqual({ "🎉": ["c"] });
  expect(snap.reactions).toEqual({ "👍": ["b"] }); // the snapshot is not mutated
});
