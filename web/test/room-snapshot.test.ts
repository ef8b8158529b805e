// Unit tests (no browser): merging a room-list snapshot with live state (READ-5).
import { expect, test } from "bun:test";
import type { Room } from "../../server/protocol/types";
import { mergeRoomSnapshot } from "../src/state/room-snapshot";

const room = (r: Partial<Room>): Room => ({ id: "r", name: "design", kind: "public", topic: "", lastSeq: 10, lastReadSeq: 10, unread: 0, mentions: 0, lastActivity: 100, ...r });

test("READ-5 a first snapshot is taken as it is", () => {
  expect(mergeRoomSnapshot(undefined, room({ unread: 3 }))).toEqual(room({ unread: 3 }));
});

test("READ-5 a snapshot at or past the live head wins", () => {
  const live = room({ lastSeq: 11, unread: 1 });
  expect(mergeRoomSnapshot(live, room({ lastSeq: 12, unread: 2, lastActivity: 120 }))).toEqual(room({ lastSeq: 12, unread: 2, lastActivity: 120 }));
  expect(mergeRoomSnapshot(live, room({ lastSeq: 11, lastReadSeq: 11, unread: 0 })).unread).toBe(0);
});

test("READ-5 a snapshot older than a counted live message keeps the live counts and takes the other fields", () => {
  const live = room({ lastSeq: 11, unread: 1, mentions: 1, lastActivity: 110 });
  const stale = room({ lastSeq: 10, unread: 0, topic: "new topic" });
  expect(mergeRoomSnapshot(live, stale)).toEqual(room({ lastSeq: 11, unread: 1, mentions: 1, lastActivity: 110, topic: "new topic" }));
});

test("READ-5 read marks only move forward; read past the head means nothing unread", () => {
  // Read here, the read frame still in flight when the server answered.
  const readHere = room({ lastSeq: 11, lastReadSeq: 11, unread: 0 });
  expect(mergeRoomSnapshot(readHere, room({ lastSeq: 11, lastReadSeq: 10, unread: 1 }))).toEqual(readHere);
  // Read on another device up to the live head.
  const live = room({ lastSeq: 11, unread: 1 });
  const merged = mergeRoomSnapshot(live, room({ lastSeq: 10, lastReadSeq: 11, unread: 0 }));
  expect(merged.unread).toBe(0);
  expect(merged.lastReadSeq).toBe(11);
});
