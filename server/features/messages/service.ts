// Messages: send (group-committed, idempotent), edit, delete, react, history; mentions and notifications.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import { LIMITS, type Attachment, type RoomKind } from "../../protocol/types";
import type { ClientFrameOf, FrameType } from "../../protocol/schemas";
import type { Effect, Page } from "../../ports/store";
import { isAdmin, requireMember } from "../rooms/service";
import { notificationFrame, publishUserSignal } from "../../realtime/publish";
import { createPolicy } from "./policy";
import type { Written } from "./writer";

/** What an action takes: its client frame without the envelope (`type`, request `id`), so the fields are defined once. */
export type ActionInput<K extends FrameType> = Omit<ClientFrameOf<K>, "type" | "id">;

/** Hooks other features plug in: uploads claim/remove files, push reaches offline users. */
export interface MessageHooks {
  claimUploads?(room: string, sender: string, ids: string[]): Promise<Attachment[]>;
  removeUploads?(room: string, msgSeq: number): Promise<void>;
  pushOffline?(userId: string, n: { kind: "mention" | "dm"; room: string; seq: number; sender: string; body: string }): Promise<unknown>;
}

const MENTION_RE = /(?:^|[^\w@])@([a-z0-9_.-]{3,32})/gi;
const NOTIFY_BODY_CHARS = 140;

export function bodyTooLong(body: string): boolean {
  // Characters are code points: count them only when UTF-16 length says it could matter.
  return body.length > LIMITS.BODY_MAX_CHARS && [...body].length > LIMITS.BODY_MAX_CHARS;
}

function checkBody(body: string) {
  if (body.trim() === "") throw new AppError("invalid_request", "body is empty");
  if (bodyTooLong(body)) throw new AppError("invalid_request", `body is longer than ${LIMITS.BODY_MAX_CHARS} characters`);
}

export function createMessages(ctx: Context, hooks: MessageHooks = {}) {
  const { store, writer, clock, ids, bus, presence, log } = ctx;
  const policy = createPolicy(ctx);
  const kinds = new Map<string, RoomKind>(); // a room's kind never changes

  async function kindOf(room: string): Promise<RoomKind | undefined> {
    if (!kinds.has(room)) {
      const r = await store.roomById(room);
      if (r) kinds.set(room, r.kind);
    }
    return kinds.get(room);
  }

  /** @username → ids of those users who are members of the room. */
  async function parseMentions(room: string, body: string): Promise<string[]> {
    if (!body.includes("@")) return [];
    const names = [...new Set([...body.matchAll(MENTION_RE)].map((m) => m[1].toLowerCase()))].slice(0, 20);
    if (names.length === 0) return [];
    const users = await store.usersByNames(names);
    const inRoom = await Promise.all(users.map(async (u) => ((await store.member(room, u.id)) ? u.id : undefined)));
    return inRoom.filter((x): x is string => x !== undefined);
  }

  async function target(room: string, msgSeq: number) {
    const m = await store.message(room, msgSeq);
    if (!m || m.kind !== "message") throw new AppError("not_found", "no such message");
    if (m.deleted) throw new AppError("not_found", "message was deleted");
    return m;
  }

  /**
   * A mention or a DM reaches the user's connections as a notification, and Web Push when none is open.
   * "Open" is presence's cluster-wide view, not this node's sockets: a user connected only to another
   * node gets the notification there and no push.
   */
  async function notify(w: Written, mentions: string[]) {
    const e = w.event;
    const targets = new Map<string, "mention" | "dm">(mentions.map((u) => [u, "mention"]));
    if ((await kindOf(e.room)) === "dm") for (const m of await store.members(e.room)) if (!targets.has(m.userId)) targets.set(m.userId, "dm");
    targets.delete(e.sender);
    for (const [userId, kind] of targets) {
      const member = await store.member(e.room, userId);
      if (!member || member.notificationsMuted) continue;
      const n = { kind, room: e.room, seq: e.seq, sender: e.sender, body: ("body" in e ? e.body : "").slice(0, NOTIFY_BODY_CHARS) };
      publishUserSignal(bus, userId, notificationFrame(n));
      if (hooks.pushOffline && !presence.hasConnection(userId)) await hooks.pushOffline(userId, n);
    }
  }

  return {
    policy,

    /** Caller has checked membership. Resolves after commit with the stored (or first) event. */
    async send(sender: string, m: ActionInput<"send">): Promise<Written> {
      // A message may be files only: then the body may be empty.
      if (m.body.trim() !== "" || !m.attachments?.length) checkBody(m.body);
      if (m.clientMsgId.length === 0 || m.clientMsgId.length > LIMITS.CLIENT_MSG_ID_MAX) {
        throw new AppError("invalid_request", `clientMsgId must be 1–${LIMITS.CLIENT_MSG_ID_MAX} characters`);
      }
      const admitting = policy.admit(m.room, sender);
      if (admitting) await admitting;
      const data: Record<string, unknown> = {};
      const wire: Record<string, unknown> = {};
      const effects: Effect[] = [];
      if (m.replyTo !== undefined) {
        const q = await store.message(m.room, m.replyTo);
        if (!q || q.kind !== "message") throw new AppError("invalid_request", "replyTo must be the seq of a message in this room");
        wire.replyPreview = { seq: q.seq, sender: q.sender, body: (q.body ?? "").slice(0, 200), deleted: q.deleted };
      }
      const mentions = await parseMentions(m.room, m.body);
      if (mentions.length) {
        data.mentions = mentions;
        effects.push({ type: "mentions.add", userIds: mentions });
      }
      if (m.attachments?.length) {
        if (!hooks.claimUploads) throw new AppError("invalid_request", "attachments are not enabled");
        data.attachments = await hooks.claimUploads(m.room, sender, [...new Set(m.attachments)]);
        effects.push({ type: "uploads.attach", ids: (data.attachments as Attachment[]).map((a) => a.id) });
      }
      const w = await writer.append({
        room: m.room, kind: "message", sender, ts: clock.now(), msgId: ids.id(), clientMsgId: m.clientMsgId,
        body: m.body, replyTo: m.replyTo, data: Object.keys(data).length ? data : undefined, wire, effects,
      });
      if (!w.duplicate && (mentions.length || kinds.get(m.room) !== "public")) {
        notify(w, mentions).catch((e) => log.warn("notify failed", { err: String(e) }));
      }
      return w;
    },

    async edit(sender: string, f: ActionInput<"edit">): Promise<Written> {
      checkBody(f.body);
      const m = await target(f.room, f.msgSeq);
      if (m.sender !== sender) throw new AppError("forbidden", "only the sender can edit a message");
      await policy.admit(f.room, sender); // an edit puts new text in front of the room: mute and slow mode apply
      const mentions = await parseMentions(f.room, f.body);
      return writer.append({
        room: f.room, kind: "edit", sender, ts: clock.now(), body: f.body, data: { msgSeq: f.msgSeq, ...(mentions.length ? { mentions } : {}) },
        effects: [{ type: "message.edit", msgSeq: f.msgSeq, body: f.body, mentions }],
      });
    },

    async remove(sender: string, f: ActionInput<"delete">): Promise<Written> {
      const m = await target(f.room, f.msgSeq);
      if (m.sender !== sender) {
        const me = await store.member(f.room, sender);
        if (!me || !isAdmin(me.role)) throw new AppError("forbidden", "only the sender or a room admin can delete a message");
      }
      const w = await writer.append({
        room: f.room, kind: "delete", sender, ts: clock.now(), data: { msgSeq: f.msgSeq }, effects: [{ type: "message.delete", msgSeq: f.msgSeq }],
      });
      await hooks.removeUploads?.(f.room, f.msgSeq);
      return w;
    },

    /** Reacting twice with the same emoji (or removing one that is not there) changes nothing: no event. */
    async react(sender: string, f: ActionInput<"react">): Promise<Written | undefined> {
      if (/\s/.test(f.emoji)) throw new AppError("invalid_request", "emoji must not contain whitespace");
      await target(f.room, f.msgSeq);
      if ((await store.hasReaction(f.room, f.msgSeq, f.emoji, sender)) === f.on) return undefined;
      if (f.on) await policy.admit(f.room, sender); // adding a reaction is posting; taking one back is not
      return writer.append({
        room: f.room, kind: "reaction", sender, ts: clock.now(), data: { msgSeq: f.msgSeq, emoji: f.emoji, on: f.on },
        effects: [{ type: "reaction.set", msgSeq: f.msgSeq, emoji: f.emoji, userId: sender, on: f.on }],
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
