// frameTypeOf: the type of a server frame read off its first characters (metrics count frames out by it).

import { describe, expect, test } from "bun:test";
import { errorFrame, eventFrame, frameTypeOf, okFrame, pongFrame, marksFrame, receiptFrame, SERVER_FRAME_TYPES, typingFrame } from "./publish";

describe("frame types", () => {
  test("PUB-1 frameTypeOf names every server frame type, and anything else is other", () => {
    for (const t of SERVER_FRAME_TYPES) expect(frameTypeOf(JSON.stringify({ type: t, x: 1 }))).toBe(t);
    expect(frameTypeOf(receiptFrame("r", "u", 3))).toBe("receipt");
    expect(frameTypeOf(marksFrame("r", []))).toBe("marks");
    expect(frameTypeOf(eventFrame('{"room":"r","seq":1}'))).toBe("event");
    expect(frameTypeOf(okFrame("1"))).toBe("ok");
    expect(frameTypeOf(errorFrame(undefined, "internal", "x"))).toBe("error");
    expect(frameTypeOf(pongFrame(undefined, 1))).toBe("pong");
    expect(frameTypeOf(typingFrame("r", "u", 1))).toBe("typing");
    expect(frameTypeOf('{"type":"zz"}')).toBe("other");
  });
});
