// The lean frame reader against real frames of Parley and of the raw baseline: every field it reads must equal JSON.parse's.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRoom, register, startServer, type TestServer } from "../../server/test/harness";
import { startBaseline } from "../baseline";
import { EVENT_PREFIX, EventFields, readEvent as readBytes, spanEquals } from "./frame";
import { readStamp, stampBody } from "./schedule";

/** Opens a socket, says hello, sends `sends` (a `reply` one once the first message is back, replying to it) and resolves with every raw text frame until all echoes arrived. */
async function rawFrames(wsUrl: string, token: string, room: string, sends: { body: string; reply?: boolean }[]): Promise<string[]> {
  const ws = new WebSocket(wsUrl);
  const frames: string[] = [];
  let events = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(frames.slice(-3))}`)), 15_000);
    ws.onopen = () => ws.send(JSON.stringify({ type: "hello", token }));
    ws.onmessage = (m) => {
      const text = String(m.data);
      frames.push(text);
      const f = JSON.parse(text);
      const send = (i: number, replyTo?: number) => ws.send(JSON.stringify({ type: "send", id: `q${i}`, room, clientMsgId: `FR.${i}.x`, body: sends[i].body, ...(replyTo ? { replyTo } : {}) }));
      if (f.type === "welcome") {
        sends.forEach((s, i) => s.reply || send(i));
      } else if (f.type === "error") {
        clearTimeout(timer);
        reject(new Error(`send refused: ${text}`));
      } else if (f.type === "event" && f.event.kind === "message") {
        if (++events === 1) sends.forEach((s, i) => s.reply && send(i, f.event.seq));
        if (events === sends.length) {
          clearTimeout(timer);
          ws.close();
          resolve(frames);
        }
      }
    };
  });
}

/** The frame's UTF-8 bytes inside a larger buffer (bytes before and after it, as in a TCP read holding several frames). */
function framed(text: string): { buf: Uint8Array; at: number; end: number } {
  const bytes = new TextEncoder().encode(text);
  const buf = new Uint8Array(bytes.length + 7).fill(0x22); // quotes around it: a scan past either end would trip on them
  buf.set(bytes, 3);
  return { buf, at: 3, end: 3 + bytes.length };
}

/** Reads `text` as the client does; `cut` gives a field's span back as text. */
let last = framed("");
function readEvent(text: string, f: EventFields): boolean {
  last = framed(text);
  return readBytes(last.buf, last.at, last.end, f);
}
const cut = (at: number, end: number) => new TextDecoder().decode(last.buf.subarray(at, end));

const STAMPED = stampBody(1764683040123.456, "FR.0.x", 120);
const SENDS = [
  { body: STAMPED },
  { body: stampBody(1764683040999, "FR.1.x") },
  { body: 'quotes "inside" and \\ a backslash, "seq":99, "room":"evil", "clientMsgId":"nope"' },
  { body: "unicode: héllo wörld — 日本語 😀🎉 \u2028 line separator" },
  { body: "t=not-a-number here" },
  { body: `${STAMPED} {nested-looking} [brackets]` },
  { body: "replying", reply: true },
  { body: "t=1764683040123.5" },
];

/** Every event frame must either be read with exactly JSON.parse's fields, or left to JSON.parse (false). */
function checkAll(frames: string[]): { fast: number; slow: number; events: number } {
  const f = new EventFields();
  let fast = 0;
  let slow = 0;
  let events = 0;
  for (const text of frames) {
    const j = JSON.parse(text);
    const ok = readEvent(text, f);
    if (j.type !== "event") {
      expect(ok).toBe(false);
      continue;
    }
    events++;
    if (!ok) {
      slow++;
      continue;
    }
    fast++;
    const ev = j.event;
    expect(cut(f.roomAt, f.roomEnd)).toBe(ev.room);
    expect(spanEquals(last.buf, f.roomAt, f.roomEnd, ev.room)).toBe(true);
    expect(f.seq).toBe(ev.seq);
    expect(f.message).toBe(ev.kind === "message");
    if (ev.kind === "message") {
      expect(cut(f.idAt, f.idEnd)).toBe(ev.clientMsgId);
      const stamp = readStamp(ev.body);
      if (stamp === undefined || !/^t=[\d.]+( |$)/.test(ev.body)) expect(Number.isNaN(f.stampMs)).toBe(true);
      else expect(f.stampMs).toBe(stamp);
    } else expect(f.idAt).toBe(-1);
  }
  return { fast, slow, events };
}

describe("FRAME lean event reader", () => {
  let parley: TestServer;
  beforeAll(async () => {
    parley = await startServer();
  });
  afterAll(async () => {
    await parley?.stop();
  });

  test("FRAME-1 Parley's frames: every field equals JSON.parse's; plain stamped messages take the fast path", async () => {
    const alice = await register(parley.url);
    const room = await createRoom(parley.url, alice);
    const frames = await rawFrames(parley.wsUrl, alice.accessToken, room, SENDS);
    const events = frames.filter((t) => t.startsWith(EVENT_PREFIX));
    expect(events.length).toBeGreaterThanOrEqual(SENDS.length);
    const r = checkAll(frames);
    expect(r.events).toBe(events.length);
    // The bench's own messages (stamped, plain ASCII ids) must never fall back to JSON.parse.
    const f = new EventFields();
    const first = events.find((t) => t.includes('"FR.0.x"'))!;
    expect(readEvent(first, f)).toBe(true);
    expect(f.stampMs).toBe(1764683040123.456);
    expect(r.fast).toBeGreaterThanOrEqual(5);
  });

  test("FRAME-2 the raw baseline's frames read the same", async () => {
    const base = startBaseline();
    try {
      const url = `http://127.0.0.1:${base.port}`;
      const token = "alice";
      const room = ((await (await fetch(`${url}/api/rooms`, { method: "POST", headers: { authorization: `Bearer ${token}` } })).json()) as { room: { id: string } }).room.id;
      const frames = await rawFrames(`ws://127.0.0.1:${base.port}/ws`, token, room, SENDS.filter((s) => !s.reply));
      const r = checkAll(frames);
      expect(r.events).toBe(SENDS.length - 1);
      expect(r.fast).toBeGreaterThanOrEqual(5);
    } finally {
      base.stop(true);
    }
  });
});

describe("FRAME edge cases on synthetic frames", () => {
  const f = new EventFields();
  const frame = (event: Record<string, unknown>) => `{"type":"event","event":${JSON.stringify(event)}}`;

  test("FRAME-3 escaped quotes and keys inside a body are not mistaken for fields", () => {
    const body = 'x", "seq":7, "room":"r9", "clientMsgId":"evil", "body":"t=1.5 "';
    const text = frame({ room: "r1", seq: 3, kind: "message", clientMsgId: "a.1", body });
    expect(readEvent(text, f)).toBe(true);
    expect(cut(f.roomAt, f.roomEnd)).toBe("r1");
    expect(f.seq).toBe(3);
    expect(cut(f.idAt, f.idEnd)).toBe("a.1");
    expect(Number.isNaN(f.stampMs)).toBe(true);
  });

  test("FRAME-4 keys of a nested object before the event's own send the frame to JSON.parse", () => {
    const text = `{"type":"event","event":{"replyPreview":{"seq":1,"body":"t=5 x"},"room":"r1","seq":3,"kind":"message","clientMsgId":"a","body":"t=9 y"}}`;
    expect(readEvent(text, f)).toBe(false);
  });

  test("FRAME-5 an escaped room or clientMsgId goes to JSON.parse; a non-message has no id or stamp", () => {
    expect(readEvent(frame({ room: 'r"1', seq: 1, kind: "message", clientMsgId: "a", body: "t=1 x" }), f)).toBe(false);
    expect(readEvent(frame({ room: "r1", seq: 1, kind: "message", clientMsgId: "a\u00e9\\", body: "t=1 x" }), f)).toBe(false);
    expect(readEvent(frame({ room: "r1", seq: 12, kind: "member", userId: "u", change: "join" }), f)).toBe(true);
    expect(f.message).toBe(false);
    expect(f.idAt).toBe(-1);
    expect(f.seq).toBe(12);
  });

  test("FRAME-6 stamps: integer, fractional, unterminated or malformed", () => {
    const stamp = (body: string) => (readEvent(frame({ room: "r", seq: 1, kind: "message", clientMsgId: "a", body }), f) ? f.stampMs : "slow");
    expect(stamp("t=1764683040123 a")).toBe(1764683040123);
    expect(stamp("t=1764683040123.456")).toBe(1764683040123.456);
    expect(stamp("t=0.001 z")).toBe(0.001);
    expect(stamp("t=12ab")).toBeNaN();
    expect(stamp("t=")).toBeNaN();
    expect(stamp("hello t=5")).toBeNaN();
    expect(stamp("t=5\u00e9")).toBeNaN();
  });

  test("FRAME-7 not an event, truncated or missing fields: false", () => {
    expect(readEvent('{"type":"ok","id":"x","event":{"room":"r","seq":1}}', f)).toBe(false);
    expect(readEvent('{"type":"event","event":{"room":"r"', f)).toBe(false);
    expect(readEvent(frame({ room: "r", kind: "message", clientMsgId: "a", body: "b" }), f)).toBe(false);
    expect(readEvent(frame({ room: "r", seq: "1", kind: "message", clientMsgId: "a", body: "b" }), f)).toBe(false);
    expect(readEvent(frame({ room: "r", seq: 1, kind: "message", body: "b" }), f)).toBe(false);
    expect(readEvent("", f)).toBe(false);
  });

  test("FRAME-8 bytes: a body ending in an escaped backslash, non-ASCII ids, whitespace and a frame cut short", () => {
    expect(readEvent(frame({ room: "r1", seq: 4, kind: "message", clientMsgId: "a.2", body: "t=7 ends in \\" }), f)).toBe(true);
    expect(f.seq).toBe(4);
    expect(cut(f.idAt, f.idEnd)).toBe("a.2");
    expect(f.stampMs).toBe(7);
    expect(readEvent(frame({ room: "r1", body: 'x\\"y', seq: 5, kind: "message", clientMsgId: "a.3" }), f)).toBe(true);
    expect(f.seq).toBe(5);
    expect(cut(f.idAt, f.idEnd)).toBe("a.3");
    expect(readEvent(frame({ room: "rüm", seq: 1, kind: "message", clientMsgId: "a", body: "t=1 x" }), f)).toBe(false);
    expect(readEvent(frame({ room: "r", seq: 1, kind: "message", clientMsgId: "ä", body: "t=1 x" }), f)).toBe(false);
    expect(readEvent('{"type":"event","event":{"room": "r","seq":1,"kind":"member"}}', f)).toBe(false);
    const whole = frame({ room: "r", seq: 1, kind: "message", clientMsgId: "a", body: "t=1 x" });
    for (let n = EVENT_PREFIX.length; n < whole.length - 2; n++) expect(readEvent(whole.slice(0, n), f)).toBe(false);
  });
});
