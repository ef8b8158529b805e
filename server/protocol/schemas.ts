// TypeBox schemas for client frames and HTTP bodies, compiled once; the edge validates with these.

import { Type as T, type TSchema } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { LIMITS } from "./types";

const Id = T.Optional(T.String({ maxLength: LIMITS.REQUEST_ID_MAX }));
const RoomId = T.String({ minLength: 1, maxLength: 64 });
const Seq = T.Integer({ minimum: 0 });
// Body length is checked by the service in characters (code points), with its own message.
const Body = T.String({ maxLength: LIMITS.BODY_MAX_CHARS * 2 });

export const FRAME_SCHEMAS = {
  hello: T.Object({ type: T.Literal("hello"), token: T.String({ maxLength: 4096 }), since: T.Optional(T.Record(T.String({ maxLength: 64 }), Seq)), id: Id }),
  send: T.Object({ type: T.Literal("send"), id: Id, room: RoomId, clientMsgId: T.String({ minLength: 1, maxLength: LIMITS.CLIENT_MSG_ID_MAX }), body: Body, replyTo: T.Optional(T.Integer({ minimum: 1 })), attachments: T.Optional(T.Array(T.String({ maxLength: 64 }), { maxItems: 10 })) }),
  edit: T.Object({ type: T.Literal("edit"), id: Id, room: RoomId, msgSeq: T.Integer({ minimum: 1 }), body: Body }),
  delete: T.Object({ type: T.Literal("delete"), id: Id, room: RoomId, msgSeq: T.Integer({ minimum: 1 }) }),
  react: T.Object({ type: T.Literal("react"), id: Id, room: RoomId, msgSeq: T.Integer({ minimum: 1 }), emoji: T.String({ minLength: 1, maxLength: 32 }), on: T.Boolean() }),
  history: T.Object({ type: T.Literal("history"), id: Id, room: RoomId, before: T.Optional(Seq), after: T.Optional(Seq), limit: T.Optional(T.Integer({ minimum: 1 })) }),
  typing: T.Object({ type: T.Literal("typing"), id: Id, room: RoomId }),
  read: T.Object({ type: T.Literal("read"), id: Id, room: RoomId, seq: Seq }),
  presence: T.Object({ type: T.Literal("presence"), id: Id, status: T.Union([T.Literal("online"), T.Literal("away"), T.Literal("dnd")]) }),
  ping: T.Object({ type: T.Literal("ping"), id: Id }),
} satisfies Record<string, TSchema>;

export type FrameType = keyof typeof FRAME_SCHEMAS;
export const FRAME_CHECKS = Object.fromEntries(
  Object.entries(FRAME_SCHEMAS).map(([k, s]) => [k, TypeCompiler.Compile(s)]),
) as { [K in FrameType]: ReturnType<typeof TypeCompiler.Compile<(typeof FRAME_SCHEMAS)[K]>> };

/** "field: problem" for the first error, for a clear `invalid_request` message. */
export function firstError(type: FrameType, value: unknown): string {
  const err = FRAME_CHECKS[type].Errors(value).First();
  return err ? `${err.path.replace(/^\//, "") || "frame"}: ${err.message}` : "invalid frame";
}
