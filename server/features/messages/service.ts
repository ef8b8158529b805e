// Messages: send (group-committed, idempotent by clientMsgId) and history paging.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import { LIMITS } from "../../protocol/types";
import type { Page } from "../../ports/store";
import { requireMember } from "../rooms/service";
import type { Written } from "./writer";

export interface SendInput {
  room: string;
  clientMsgId: string;
  body: string;
  replyTo?: number;
}

export function bodyTooLong(body: string): boolean {
  // Characters are code points: count them only when UTF-16 length says it could matter.
  return body.length > LIMITS.BODY_MAX_CHARS && [...body].length > LIMITS.BODY_MAX_CHARS;
}

export function createMessages(ctx: Context) {
  const { store, writer, clock, ids } = ctx;
  return {
    /** Caller has checked membership. Resolves after commit with the stored (or first) event. */
    async send(sender: string, m: SendInput): Promise<Written> {
      if (m.body.trim() === "") throw new AppError("invalid_request", "body is empty");
      if (bodyTooLong(m.body)) throw new AppError("invalid_request", `body is longer than ${LIMITS.BODY_MAX_CHARS} characters`);
      if (m.clientMsgId.length === 0 || m.clientMsgId.length > LIMITS.CLIENT_MSG_ID_MAX) {
        throw new AppError("invalid_request", `clientMsgId must be 1–${LIMITS.CLIENT_MSG_ID_MAX} characters`);
      }
      if (m.replyTo !== undefined && (m.replyTo < 1 || m.replyTo > (await store.lastSeq(m.room)))) {
        throw new AppError("invalid_request", "replyTo must be the seq of an event in this room");
      }
      return writer.append({
        room: m.room, kind: "message", sender, ts: clock.now(), msgId: ids.id(),
        clientMsgId: m.clientMsgId, body: m.body, replyTo: m.replyTo,
      });
    },

    async history(userId: string, room: string, q: { before?: number; after?: number; limit?: number }): Promise<Page> {
      await requireMember(ctx, room, userId);
      const limit = Math.min(Math.max(q.limit ?? LIMITS.HISTORY_DEFAULT, 1), LIMITS.HISTORY_MAX);
      return store.events(room, { before: q.before, after: q.after, limit });
    },
  };
}

export type Messages = ReturnType<typeof createMessages>;
