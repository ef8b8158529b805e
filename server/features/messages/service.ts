// Messages: send (group-committed, idempotent), edit, delete, react, history; mentions and notifications.

import { AppError } from "../../errors";
import type { Context } from "../../context";
import { LIMITS, type Attachment, type MessageEvent, type NotificationKind, type RoomEvent, type RoomKind } from "../../protocol/types";
import type { ClientFrameOf, FrameType } from "../../protocol/schemas";
import type { Effect } from "../../ports/store";
import { isAdmin, requireMember } from "../rooms/service";
import { notificationFrame, publishUserSignal } from "../../realtime/publish";
import { createPageCache, type PageJson } from "./page-cache";
import { createPolicy } from "./policy";
import type { Written } from "./writer";

/** What an action takes: its client frame without the envelope (`type`, request `id`), so the fields are defined once. */
export type ActionInput<K extends FrameType> = Omit<ClientFrameOf<K>, "type" | "id">;

/** Hooks other features plug in: uploads claim/copy/remove files, push reaches offline users. */
export interface MessageHooks {
  claimUploads?(room: string, sender: string, ids: string[]): Promise<Attachment[]>;
  /** A forward's files: copies (new uploads of the forwarder in the target room), never the originals. */
  copyUploads?(fromRoom: string, toRoom: string, sender: string, ids: string[]): Promise<string[]>;
  removeUploads?(room: string, msgSeq: number): Promise<void>;
  pushOffline?(userId: string, n: { kind: NotificationKind; room: string; seq: number; sender: string; body: string }): Promise<unknown>;
  /** A new message was committed (not a repeat): link previews start here, off the send's path. Must not throw. */
  sent?(w: Written): void;
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
  const pageCache = createPageCache();
  const kinds = new Map<string, RoomKind>(); // a room's kind never changes
  const dmPairs = new Map<string, string[]>(); // nor the two people of a DM

  async function kindOf(room: string): Promise<RoomKind | undefined> {
    if (!kinds.has(room)) {
      const r = await store.roomById(room);
      if (r) kinds.set(room, r.kind);
      if (r?.dmKey) dmPairs.set(room, r.dmKey.split(":"));
    }
    return kinds.get(room);
  }

  const loadingKinds = new Map<string, Promise<RoomKind | undefined>>();
  /**
   * kindOf without a promise once known, and one shared promise while loading: concurrent sends of a
   * socket then reach the writer in the order they came (a promise each would let their reads
   * finish in any order: WS-SEND-4, CLUSTER-BUS-1).
   */
  function kindNow(room: string): RoomKind | undefined | Promise<RoomKind | undefined> {
    if (kinds.has(room)) return kinds.get(room);
    let p = loadingKinds.get(room);
    if (!p) loadingKinds.set(room, (p = kindOf(room).finally(() => loadingKinds.delete(room))));
    return p;
  }
  /** The DM checks of a room, one after another: each send's check settles in arrival order. */
  const dmChecks = new Map<string, Promise<unknown>>();

  /**
   * A DM whose other person blocked the sender takes nothing from them (protocol 1.2, Blocking). No
   * promise for a room that is not a DM (once its kind is known); in a DM one store lookup per send,
   * queued behind the room's previous check so sends keep their order.
   */
  function refuseBlockedDm(room: string, sender: string): void | Promise<void> {
    const kind = kindNow(room);
    if (kind instanceof Promise) return kind.then(() => refuseBlockedDm(room, sender));
    if (kind !== "dm") return;
    const peers = (dmPairs.get(room) ?? []).filter((u) => u !== sender);
    const check = (dmChecks.get(room) ?? Promise.resolve())
      .then(() => store.blockersAmong(sender, peers))
      .then((blockers) => {
        if (blockers.length > 0) throw new AppError("forbidden", "this person does not accept your messages");
      });
    const tail = check.catch(() => undefined);
    dmChecks.set(room, tail);
    void tail.then(() => dmChecks.get(room) === tail && dmChecks.delete(room));
    return check;
  }

  /** One event of the room, as history shows it (current body, thread summary); undefined when none. */
  async function eventAt(room: string, seq: number): Promise<RoomEvent | undefined> {
    return (await store.events(room, { after: seq - 1, before: seq + 1, limit: 1 })).events[0];
  }

  /** The root a thread reply goes under: a live top-level message of the room. */
  async function threadRoot(room: string, seq: number): Promise<MessageEvent> {
    const root = await eventAt(room, seq);
    if (!root) throw new AppError("not_found", "no such message in this room");
    if (root.kind !== "message" || root.deleted) throw new AppError("invalid_request", "thread must be the seq of a message in this room");
    if (root.threadRoot !== undefined) throw new AppError("invalid_request", "a thread reply cannot start a thread: reply to its root");
    return root;
  }

  /** Those of `userIds` who did not block `sender`: their mention rows and notifications stay. */
  async function withoutBlockers(sender: string, userIds: string[]): Promise<string[]> {
    const blockers = new Set(await store.blockersAmong(sender, userIds));
    return blockers.size ? userIds.filter((u) => !blockers.has(u)) : userIds;
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
  async function notify(w: Written, mentions: string[], thread: string[]) {
    const e = w.event;
    const targets = new Map<string, NotificationKind>(mentions.map((u) => [u, "mention"]));
    if ((await kindOf(e.room)) === "dm") for (const m of await store.members(e.room)) if (!targets.has(m.userId)) targets.set(m.userId, "dm");
    for (const u of thread) if (!targets.has(u)) targets.set(u, "thread");
    targets.delete(e.sender);
    if (targets.size === 0) return;
    // Someone who blocked the sender hears nothing from them.
    for (const u of await store.blockersAmong(e.sender, [...targets.keys()])) targets.delete(u);
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
      if (m.forward) {
        // A forward carries the original's body and files, nothing of its own.
        if (m.body !== "" || m.attachments?.length) throw new AppError("invalid_request", "a forward carries the original's body and files: send body \"\" and no attachments");
      } else if (m.body.trim() !== "" || !m.attachments?.length) checkBody(m.body); // a message may be files only: then the body may be empty
      if (m.clientMsgId.length === 0 || m.clientMsgId.length > LIMITS.CLIENT_MSG_ID_MAX) {
        throw new AppError("invalid_request", `clientMsgId must be 1–${LIMITS.CLIENT_MSG_ID_MAX} characters`);
      }
      if (m.alsoInRoom !== undefined && m.thread === undefined) throw new AppError("invalid_request", "alsoInRoom is for thread replies");
      const admitting = policy.admit(m.room, sender);
      if (admitting) await admitting;
      const refusing = refuseBlockedDm(m.room, sender);
      if (refusing) await refusing;
      const data: Record<string, unknown> = {};
      const wire: Record<string, unknown> = {};
      const effects: Effect[] = [];
      let body = m.body;
      let threadPeople: string[] = [];
      if (m.thread !== undefined) {
        const root = await threadRoot(m.room, m.thread);
        data.threadRoot = root.seq;
        if (m.alsoInRoom) data.alsoInRoom = true;
        threadPeople = [root.sender, ...(root.thread?.participants ?? [])];
      }
      if (m.replyTo !== undefined) {
        const q = await store.message(m.room, m.replyTo);
        if (!q || q.kind !== "message") throw new AppError("invalid_request", "replyTo must be the seq of a message in this room");
        wire.replyPreview = { seq: q.seq, sender: q.sender, body: (q.body ?? "").slice(0, 200), deleted: q.deleted };
      }
      // Last of the checks: the copies of a forward's files are made only for a send that will be stored
      // (an idempotent resend copies again; such unsent copies are drafts the hourly sweep removes).
      if (m.forward) {
        await requireMember(ctx, m.forward.room, sender);
        const src = await eventAt(m.forward.room, m.forward.seq);
        if (!src || src.kind !== "message" || src.deleted) throw new AppError("not_found", "no such message to forward");
        const from = (await store.roomById(m.forward.room))!;
        // A forward of a forward keeps the first origin.
        data.forwarded = src.forwarded ?? { room: from.id, roomName: from.name, sender: src.sender, ts: src.ts };
        body = src.body;
        if (src.attachments?.length) {
          if (!hooks.copyUploads) throw new AppError("invalid_request", "attachments are not enabled");
          const copies = await hooks.copyUploads(m.forward.room, m.room, sender, src.attachments.map((a) => a.id));
          data.attachments = await hooks.claimUploads!(m.room, sender, copies);
          effects.push({ type: "uploads.attach", ids: copies });
        }
      }
      // A forward's text notifies nobody again; a mention of someone who blocked the sender counts for nothing.
      // No "@", no lookup and no await: most sends reach the writer's queue in the frame's own task.
      const mentions = m.forward || !m.body.includes("@") ? [] : await parseMentions(m.room, m.body);
      const heard = mentions.length ? await withoutBlockers(sender, mentions) : [];
      if (mentions.length) data.mentions = mentions;
      if (heard.length) effects.push({ type: "mentions.add", userIds: heard });
      if (m.attachments?.length) {
        if (!hooks.claimUploads) throw new AppError("invalid_request", "attachments are not enabled");
        data.attachments = await hooks.claimUploads(m.room, sender, [...new Set(m.attachments)]);
        effects.push({ type: "uploads.attach", ids: (data.attachments as Attachment[]).map((a) => a.id) });
      }
      const w = await writer.append({
        room: m.room, kind: "message", sender, ts: clock.now(), msgId: ids.id(), clientMsgId: m.clientMsgId,
        body, replyTo: m.replyTo, data: Object.keys(data).length ? data : undefined, wire, effects,
      });
      // Beyond mentions and threads only a DM notifies (every message): no notify() per message elsewhere.
      const kind = kinds.get(m.room);
      if (!w.duplicate && (heard.length || threadPeople.length || (kind !== "public" && kind !== "private"))) {
        notify(w, heard, threadPeople).catch((e) => log.warn("notify failed", { err: String(e) }));
      }
      if (!w.duplicate) hooks.sent?.(w);
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
        effects: [{ type: "message.edit", msgSeq: f.msgSeq, body: f.body, mentions: mentions.length ? await withoutBlockers(sender, mentions) : [] }],
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
      // Another delete (the expiry job's, another admin's, on any node) got there since `target`:
      // the store appended nothing (STORE-150), and the answer is the one for a deleted message.
      if (w.duplicate) throw new AppError("not_found", "message was deleted");
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

    /** A page of the room (or of a thread) as JSON; the newest page comes from the page cache while the room's head stands. */
    async history(userId: string, room: string, q: { before?: number; after?: number; limit?: number; thread?: number }): Promise<PageJson> {
      const { room: row } = await requireMember(ctx, room, userId);
      const limit = Math.min(Math.max(q.limit ?? LIMITS.HISTORY_DEFAULT, 1), LIMITS.HISTORY_MAX);
      const newest = q.before === undefined && q.after === undefined;
      const key = `${room}|${limit}|${q.thread ?? ""}`;
      const cached = newest ? pageCache.get(key, row.lastSeq) : undefined;
      if (cached) return cached;
      if (q.thread !== undefined) {
        // A deleted root still shows its thread: its replies stay.
        const root = await eventAt(room, q.thread);
        if (!root) throw new AppError("not_found", "no such message in this room");
        if (root.kind !== "message" || root.threadRoot !== undefined) throw new AppError("invalid_request", "thread must be the seq of a top-level message");
      }
      const p = await store.events(room, { before: q.before, after: q.after, limit, thread: q.thread });
      const page = { eventsJson: JSON.stringify(p.events), hasMore: p.hasMore };
      // The head was read before the page: a page that already holds later events is kept under an older head, never the reverse.
      if (newest) pageCache.set(key, row.lastSeq, page);
      return page;
    },
  };
}

export type Messages = ReturnType<typeof createMessages>;
