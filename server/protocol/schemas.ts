// Client → server frames, defined once: a TypeBox schema each (compiled once; the gateway validates with it), types derived with Static<>.
//
// The web client and bench import these types through `protocol/types.ts` with a type-only export, so
// TypeBox stays out of the browser bundle. Property order inside each schema is the order the errors
// are looked for in: `firstError` names the first, so reordering changes the `invalid_request` text.

import { FormatRegistry, Type as T, type Static } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { LIMITS } from "./types";

// ---- Text: the one check every string from a client passes (docs/protocol.md, "Text") ----------

/** C0 controls except tab (U+0009) and line feed (U+000A), DEL, and the C1 controls. CR is refused too: line ends are LF. */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
/** Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): refused in names. */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/** Arrays and objects inside each other deeper than this are refused before any schema sees them. */
export const INPUT_DEPTH_MAX = 32;

/**
 * Why a string cannot be stored as sent, or undefined when it can. Lone surrogates would come back
 * as U+FFFD and a NUL cut the text short on read, so the ack would promise what history does not keep.
 */
export function textProblem(s: string): string | undefined {
  if (!s.isWellFormed()) return "must be valid Unicode text (no lone surrogates)";
  if (CONTROL.test(s)) return "must not contain control characters other than tab and newline";
  return undefined;
}

/**
 * The check every client input passes before its schema: a parsed JSON body, a query, a WebSocket
 * frame. Every string in it, keys included, must pass `textProblem`, and nesting stays within
 * INPUT_DEPTH_MAX (a 10,000-level array overflowed the stack of the validator's error path).
 * Returns "path: problem" for the first offence, or undefined. New routes and frames get it without
 * doing anything: the app and the gateway run it on every input.
 */
export function inputProblem(value: unknown, path = "", depth = 0): string | undefined {
  if (typeof value === "string") {
    const p = textProblem(value);
    return p && `${path || "value"}: ${p}`;
  }
  if (typeof value !== "object" || value === null) return undefined;
  if (depth >= INPUT_DEPTH_MAX) return `${path || "value"}: nested too deeply`;
  // for…in with own keys rather than Object.entries: no array of pairs per frame (this runs on every one).
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    const v = (value as Record<string, unknown>)[k];
    const at = path ? `${path}/${k}` : k;
    const p = textProblem(k);
    if (p) return `${at}: key ${p}`;
    const inner = inputProblem(v, at, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

/** Format of names people see (display names, room names): no bidi controls that could reorder what follows. */
FormatRegistry.Set("name", (s) => !BIDI_CONTROL.test(s));

/**
 * A name shown to other people: usernames' display names, room names. Use it (through Elysia's `t`,
 * which is this TypeBox) for every such field; `validationMessage` in app.ts words its error.
 */
export const Name = (opts: { minLength?: number; maxLength: number }) => T.String({ ...opts, format: "name" });
export const NAME_FORMAT_MESSAGE = "must not contain bidirectional override or isolate controls (U+202A–U+202E, U+2066–U+2069)";

const Id = T.Optional(T.String({ maxLength: LIMITS.REQUEST_ID_MAX }));
const RoomId = T.String({ minLength: 1, maxLength: LIMITS.ID_MAX });
const Seq = T.Integer({ minimum: 0 });
const MsgSeq = T.Integer({ minimum: 1 });
// Body length is checked by the service in characters (code points), with its own message.
const Body = T.String({ maxLength: LIMITS.BODY_MAX_CHARS * 2 });

export const FRAME_SCHEMAS = {
  hello: T.Object({
    type: T.Literal("hello"),
    token: T.String({ maxLength: LIMITS.TOKEN_MAX_CHARS }),
    // Room id → the last seq the client has. A TypeBox Record turns its key schema into a pattern, so
    // key length is not checked; a key that is not one of the user's rooms is answered with an error frame.
    since: T.Optional(T.Record(T.String(), Seq)),
    id: Id,
  }),
  send: T.Object({
    type: T.Literal("send"),
    id: Id,
    room: RoomId,
    clientMsgId: T.String({ minLength: 1, maxLength: LIMITS.CLIENT_MSG_ID_MAX }),
    body: Body,
    replyTo: T.Optional(MsgSeq),
    attachments: T.Optional(T.Array(T.String({ maxLength: LIMITS.ID_MAX }), { maxItems: LIMITS.ATTACHMENTS_MAX })),
    // Protocol 1.2: a thread reply (root seq), shown in the room too; a forward of {room, seq}.
    thread: T.Optional(MsgSeq),
    alsoInRoom: T.Optional(T.Boolean()),
    forward: T.Optional(T.Object({ room: RoomId, seq: MsgSeq })),
  }),
  edit: T.Object({ type: T.Literal("edit"), id: Id, room: RoomId, msgSeq: MsgSeq, body: Body }),
  delete: T.Object({ type: T.Literal("delete"), id: Id, room: RoomId, msgSeq: MsgSeq }),
  react: T.Object({
    type: T.Literal("react"),
    id: Id,
    room: RoomId,
    msgSeq: MsgSeq,
    emoji: T.String({ minLength: 1, maxLength: LIMITS.EMOJI_MAX_CHARS }),
    on: T.Boolean(),
  }),
  history: T.Object({
    type: T.Literal("history"),
    id: Id,
    room: RoomId,
    before: T.Optional(Seq),
    after: T.Optional(Seq),
    // Above HISTORY_MAX is not an error: the service serves HISTORY_MAX.
    limit: T.Optional(T.Integer({ minimum: 1 })),
    /** Protocol 1.2: the root seq; the page holds that root and its replies only. */
    thread: T.Optional(MsgSeq),
  }),
  typing: T.Object({ type: T.Literal("typing"), id: Id, room: RoomId }),
  read: T.Object({ type: T.Literal("read"), id: Id, room: RoomId, seq: Seq }),
  delivered: T.Object({ type: T.Literal("delivered"), id: Id, room: RoomId, seq: Seq }),
  presence: T.Object({ type: T.Literal("presence"), id: Id, status: T.Union([T.Literal("online"), T.Literal("away"), T.Literal("dnd")]) }),
  ping: T.Object({ type: T.Literal("ping"), id: Id }),
};

export type FrameType = keyof typeof FRAME_SCHEMAS;
/** One client frame type, as its schema accepts it. */
export type ClientFrameOf<K extends FrameType> = Static<(typeof FRAME_SCHEMAS)[K]>;
/** Every client → server frame, discriminated by `type`. */
export type ClientFrame = { [K in FrameType]: ClientFrameOf<K> }[FrameType];

const CHECKS = Object.fromEntries(
  Object.entries(FRAME_SCHEMAS).map(([k, s]) => [k, TypeCompiler.Compile(s)]),
) as { [K in FrameType]: ReturnType<typeof TypeCompiler.Compile<(typeof FRAME_SCHEMAS)[K]>> };

/** A frame type we know. Own keys only: "toString" or "__proto__" are not frame types. */
export function isFrameType(type: unknown): type is FrameType {
  return typeof type === "string" && Object.hasOwn(FRAME_SCHEMAS, type);
}

/** Validates a parsed frame against its type's schema; narrows it to that frame. */
export function isFrame<K extends FrameType>(type: K, value: unknown): value is ClientFrameOf<K> {
  return CHECKS[type].Check(value);
}

/** "field: problem" for the first error, for a clear `invalid_request` message. */
export function firstError(type: FrameType, value: unknown): string {
  const err = CHECKS[type].Errors(value).First();
  return err ? `${err.path.replace(/^\//, "") || "frame"}: ${err.message}` : "invalid frame";
}
