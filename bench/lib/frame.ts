// Lean reading of delivered event frames: the few fields the audit and the latency need, found by scanning the frame's UTF-8 bytes
// as the WebSocket client received them (no string decoding, no JSON.parse per delivery).

/** Every event frame the server sends starts with this (server/realtime/publish.ts eventFrame, and the baseline's JSON.stringify). */
export const EVENT_PREFIX = '{"type":"event","event":{';
const PREFIX = new TextEncoder().encode(EVENT_PREFIX);

const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const CLOSE_BRACE = 125;

/**
 * Fields of one event frame, as positions into the bytes it was read from, so that reading one allocates nothing.
 * One scratch instance is reused for every frame a process receives.
 */
export class EventFields {
  /** The room id is buf[roomAt, roomEnd): plain ASCII, no escapes. */
  roomAt = 0;
  roomEnd = 0;
  seq = 0;
  /** kind "message" (the only kind that carries clientMsgId and a body). */
  message = false;
  /** The clientMsgId is buf[idAt, idEnd) (plain ASCII, no escapes); idAt = -1 when the event has none. */
  idAt = -1;
  idEnd = -1;
  /** Scheduled send time from a body stamped `t=<ms> …` (schedule.ts stampBody); NaN when the body carries none. */
  stampMs = Number.NaN;
}

/**
 * Index of the first quote in buf[at, end), or -1: a plain loop over the first bytes (keys and ids are short, and a
 * native call costs more than the loop), then the native search (bodies are long). Past `end` it never matters:
 * a string of a whole frame always closes inside it.
 */
function quoteAt(buf: Uint8Array, at: number, end: number): number {
  const near = Math.min(end, at + 24);
  for (let i = at; i < near; i++) if (buf[i] === QUOTE) return i;
  if (near === end) return -1;
  const q = buf.indexOf(QUOTE, near);
  return q < end ? q : -1;
}

/** End of a JSON string whose content starts at `at` (its closing quote: one not escaped), or -1 if it does not end before `end`. */
function stringEnd(buf: Uint8Array, at: number, end: number): number {
  for (let q = quoteAt(buf, at, end); q >= 0; q = quoteAt(buf, q + 1, end)) {
    let slashes = 0;
    while (q - 1 - slashes >= at && buf[q - 1 - slashes] === BACKSLASH) slashes++;
    if ((slashes & 1) === 0) return q;
  }
  return -1;
}

/** Whether buf[at, end) is printable ASCII without a backslash: then each byte is the character JSON.parse would give. */
function plainAscii(buf: Uint8Array, at: number, end: number): boolean {
  for (let i = at; i < end; i++) {
    const c = buf[i];
    if (c < 32 || c > 126 || c === BACKSLASH) return false;
  }
  return true;
}

/** Whether buf[at, end) holds exactly the ASCII string `s`. */
export function spanEquals(buf: Uint8Array, at: number, end: number, s: string): boolean {
  if (end - at !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** Whether buf[at, end) starts with the ASCII string `s`. */
export function spanStartsWith(buf: Uint8Array, at: number, end: number, s: string): boolean {
  if (end - at < s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** buf[at, end) as a string, for an ASCII span (allocates: only off the per-delivery path). */
export function spanText(buf: Uint8Array, at: number, end: number): string {
  return String.fromCharCode(...buf.subarray(at, end));
}

/** Decimal number written with digits and at most one dot, as Number() would read it; NaN if there is none at `at`. */
function readDecimal(buf: Uint8Array, at: number, end: number): number {
  let int = 0;
  let frac = 0;
  let scale = 1;
  let digits = 0;
  let i = at;
  for (let c = buf[i]; i < end && c >= 48 && c <= 57; c = buf[++i]) {
    int = int * 10 + (c - 48);
    digits++;
  }
  if (i < end && buf[i] === 46) {
    for (let c = buf[++i]; i < end && c >= 48 && c <= 57; c = buf[++i]) {
      frac = frac * 10 + (c - 48);
      scale *= 10;
      digits++;
    }
  }
  if (digits === 0 || i >= end) return Number.NaN;
  const c = buf[i];
  if (c !== 32 && c !== QUOTE) return Number.NaN; // the stamp ends the body or is followed by a space
  // int·scale + frac is exact below 2^53 (a ms timestamp with 3 decimals is ~1.8e15): one correctly rounded division, as Number() gives.
  return scale === 1 ? int : (int * scale + frac) / scale;
}

// Keys, told apart by length and then compared byte by byte.
const K_ROOM = "room";
const K_SEQ = "seq";
const K_KIND = "kind";
const K_ID = "clientMsgId";
const K_BODY = "body";

/**
 * Reads room, seq, kind, clientMsgId and the body's stamp of the event frame in buf[start, end) into `out`.
 * Returns false when the frame is not an event, or when its fields cannot be proven by this scan; the caller
 * then decodes and parses it with JSON.parse (the result is the same, only slower).
 *
 * The scan walks the event object's members in order, as compact JSON (JSON.stringify's: no whitespace): a key,
 * a colon, a value. A string value is skipped to its closing quote (the first `"` not escaped by an odd run of
 * backslashes), a number or literal to the next `,` or `}`. It stops at the first value that is an object or
 * array (replyPreview has its own seq and body): only members before it are trusted, as JSON.parse would give
 * them. Room and clientMsgId must be plain ASCII without escapes, so that their bytes are their characters.
 */
export function readEvent(buf: Uint8Array, start: number, end: number, out: EventFields): boolean {
  if (end - start < PREFIX.length) return false;
  for (let j = 0; j < PREFIX.length; j++) if (buf[start + j] !== PREFIX[j]) return false;
  let roomAt = -1;
  let roomEnd = -1;
  let seq = -1;
  let kindAt = -1;
  let kindEnd = -1;
  let idAt = -1;
  let idEnd = -1;
  let bodyAt = -1;
  let bodyEnd = -1;
  let i = start + PREFIX.length;
  while (i < end && buf[i] === QUOTE) {
    const keyAt = i + 1;
    const keyEnd = quoteAt(buf, keyAt, end);
    if (keyEnd < 0 || keyEnd + 1 >= end || buf[keyEnd + 1] !== COLON) return false;
    i = keyEnd + 2;
    const c = buf[i];
    const keyLen = keyEnd - keyAt;
    if (c === QUOTE) {
      const vAt = i + 1;
      const vEnd = stringEnd(buf, vAt, end);
      if (vEnd < 0) return false;
      i = vEnd + 1;
      if (keyLen === 4 && spanEquals(buf, keyAt, keyEnd, K_ROOM)) {
        roomAt = vAt;
        roomEnd = vEnd;
      } else if (keyLen === 4 && spanEquals(buf, keyAt, keyEnd, K_KIND)) {
        kindAt = vAt;
        kindEnd = vEnd;
      } else if (keyLen === 11 && spanEquals(buf, keyAt, keyEnd, K_ID)) {
        idAt = vAt;
        idEnd = vEnd;
      } else if (keyLen === 4 && spanEquals(buf, keyAt, keyEnd, K_BODY)) {
        bodyAt = vAt;
        bodyEnd = vEnd;
      }
    } else if (c === 123 || c === 91) break; // an object or array: nothing after it is trusted
    else {
      const vAt = i;
      while (i < end && buf[i] !== COMMA && buf[i] !== CLOSE_BRACE) i++;
      if (keyLen === 3 && spanEquals(buf, keyAt, keyEnd, K_SEQ)) {
        let n = 0;
        for (let j = vAt; j < i; j++) {
          const d = buf[j];
          if (d < 48 || d > 57) return false;
          n = n * 10 + (d - 48);
        }
        if (i === vAt) return false;
        seq = n;
      }
    }
    if (i >= end) return false;
    if (buf[i] === COMMA) i++;
    else if (buf[i] !== CLOSE_BRACE) return false;
    else break;
  }
  if (roomAt < 0 || seq < 0 || kindAt < 0 || !plainAscii(buf, roomAt, roomEnd)) return false;
  const message = spanEquals(buf, kindAt, kindEnd, "message");
  let stampMs = Number.NaN;
  if (message) {
    // A message's clientMsgId and body must be found as its own members, or the slow path decides.
    if (idAt < 0 || bodyAt < 0 || !plainAscii(buf, idAt, idEnd)) return false;
    if (spanStartsWith(buf, bodyAt, bodyEnd, "t=")) stampMs = readDecimal(buf, bodyAt + 2, bodyEnd + 1);
  } else {
    idAt = -1;
    idEnd = -1;
  }
  out.roomAt = roomAt;
  out.roomEnd = roomEnd;
  out.seq = seq;
  out.message = message;
  out.idAt = idAt;
  out.idEnd = idEnd;
  out.stampMs = stampMs;
  return true;
}
