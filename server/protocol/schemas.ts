// Client → server frames, defined once: a TypeBox schema each (compiled once; the gateway validates with it), types derived with Static<>.
//
// The web client and bench import these types through `protocol/types.ts` with a type-only export, so
// TypeBox stays out of the browser bundle. Property order inside each schema is the order the errors
// are looked for in: `firstError` names the first, so reordering changes the `invalid_request` text.

import { Type as T, type Static } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { LIMITS } from "./types";

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
  }),
  typing: T.Object({ type: T.Literal("typing"), id: Id, room: RoomId }),
  read: T.Object({ type: T.Literal("read"), id: Id, room: RoomId, seq: Seq }),
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
