// Lean reading of delivered event frames: the few fields the audit and the latency need, found by string scanning on the raw text (no JSON.parse per delivery).

/** Every event frame the server sends starts with this (server/realtime/publish.ts eventFrame, and the baseline's JSON.stringify). */
export const EVENT_PREFIX = '{"type":"event","event":{';

const ROOM = '"room":"';
const SEQ = '"seq":';
const KIND = '"kind":"';
const ID = '"clientMsgId":"';
const BODY = '"body":"';
const STAMP = '"body":"t=';

/**
 * Fields of one event frame, as positions into its raw text, so that reading one allocates nothing.
 * One scratch instance is reused for every frame a process receives.
 */
export class EventFields {
  /** The room id is text[roomAt, roomEnd). */
  roomAt = 0;
  roomEnd = 0;
  seq = 0;
  /** kind "message" (the only kind that carries clientMsgId and a body). */
  message = false;
  /** The clientMsgId is text[idAt, idEnd); idAt = -1 when the event has none. */
  idAt = -1;
  idEnd = -1;
  /** Scheduled send time from a body stamped `t=<ms> …` (schedule.ts stampBody); NaN when the body carries none. */
  stampMs = Number.NaN;
}

/** End of a JSON string value starting at `at` (its closing quote), or -1 when it holds an escape (or does not end before `limit`). */
function plainStringEnd(text: string, at: number, limit: number): number {
  const end = text.indexOf('"', at);
  if (end < 0 || end > limit) return -1;
  const esc = text.indexOf("\\", at);
  return esc >= 0 && esc < end ? -1 : end;
}

/** Decimal number written with digits and at most one dot, as Number() would read it; NaN if there is none at `at`. */
function readDecimal(text: string, at: number): number {
  let int = 0;
  let frac = 0;
  let scale = 1;
  let digits = 0;
  let i = at;
  for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
    int = int * 10 + (c - 48);
    digits++;
  }
  if (text.charCodeAt(i) === 46) {
    for (let c = text.charCodeAt(++i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) {
      frac = frac * 10 + (c - 48);
      scale *= 10;
      digits++;
    }
  }
  if (digits === 0) return Number.NaN;
  const end = text.charCodeAt(i);
  if (end !== 32 && end !== 34) return Number.NaN; // the stamp ends the body or is followed by a space
  // int·scale + frac is exact below 2^53 (a ms timestamp with 3 decimals is ~1.8e15): one correctly rounded division, as Number() gives.
  return scale === 1 ? int : (int * scale + frac) / scale;
}

/**
 * Reads room, seq, kind, clientMsgId and the body's stamp of an event frame into `out`. Returns false when
 * the frame is not an event, or when the fields cannot be proven to be the event's own by scanning; the
 * caller then parses it with JSON.parse (the result is the same, only slower).
 *
 * Why scanning is sound: inside a JSON string every `"` is escaped, so the text `"seq":` (quote, key,
 * quote, colon) only ever appears as an object key. A key of the same name in a nested object
 * (replyPreview has seq and body) is ruled out by trusting only keys before the first `{` or `[` after
 * the event's own opening brace; a `{` inside a string only sends the frame to the slow path.
 */
export function readEvent(text: string, out: EventFields): boolean {
  if (!text.startsWith(EVENT_PREFIX)) return false;
  const from = EVENT_PREFIX.length;
  let limit = text.length;
  const obj = text.indexOf("{", from);
  if (obj >= 0) limit = obj;
  const arr = text.indexOf("[", from);
  if (arr >= 0 && arr < limit) limit = arr;

  const r = text.indexOf(ROOM, from);
  if (r < 0 || r > limit) return false;
  const roomAt = r + ROOM.length;
  const roomEnd = plainStringEnd(text, roomAt, limit);
  if (roomEnd < 0) return false;

  const s = text.indexOf(SEQ, from);
  if (s < 0 || s > limit) return false;
  let seq = 0;
  let i = s + SEQ.length;
  const first = i;
  for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) seq = seq * 10 + (c - 48);
  if (i === first) return false;

  const k = text.indexOf(KIND, from);
  if (k < 0 || k > limit) return false;
  const message = text.startsWith('message"', k + KIND.length);

  let idAt = -1;
  let idEnd = -1;
  let stampMs = Number.NaN;
  if (message) {
    // A message's clientMsgId and body must be found as its own keys, or the slow path decides.
    const d = text.indexOf(ID, from);
    if (d < 0 || d > limit) return false;
    idAt = d + ID.length;
    idEnd = plainStringEnd(text, idAt, limit);
    if (idEnd < 0) return false;
    const b = text.indexOf(BODY, from);
    if (b < 0 || b > limit) return false;
    if (text.startsWith(STAMP, b)) stampMs = readDecimal(text, b + STAMP.length);
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

/** Whether text[at, end) is exactly `s`, without slicing. */
export function spanEquals(text: string, at: number, end: number, s: string): boolean {
  return end - at === s.length && text.startsWith(s, at);
}
