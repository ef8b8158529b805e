// Pure folding of a message snapshot with its edit/delete/reaction events (seq order); no framework code.
import type { Attachment, MemberEvent, MessageEvent, RoomChangeEvent, RoomEvent, ThreadSummary } from "../../../server/protocol/types";

/** A link preview card (protocol 1.2 `preview` event: the server fetched the first URL of message `msgSeq`). */
export interface PreviewEvent {
  kind: "preview";
  room: string;
  seq: number;
  sender: string;
  ts: number;
  msgSeq: number;
  url: string;
  title?: string;
  description?: string;
  siteName?: string;
  /** The page's image, stored like an upload: an attachment or its upload id. */
  image?: Attachment | string;
}
export type Preview = Omit<PreviewEvent, "kind" | "room" | "seq" | "sender" | "ts" | "msgSeq">;

export interface MsgItem {
  t: "msg";
  seq: number;
  msgId: string;
  clientMsgId: string;
  sender: string;
  ts: number;
  body: string;
  replyTo?: number;
  replyPreview?: MessageEvent["replyPreview"];
  mentions?: string[];
  attachments?: Attachment[];
  editedAt?: number;
  deleted?: boolean;
  reactions: Record<string, string[]>;
  /** A thread reply: its root's seq (shown in the thread panel; in the room too with alsoInRoom). */
  threadRoot?: number;
  alsoInRoom?: boolean;
  /** A root with replies: count, last reply, who replied (history's summary plus replies seen live). */
  thread?: ThreadSummary;
  forwarded?: MessageEvent["forwarded"];
  /** Deleted by the room's expiry, not by a person. */
  expired?: boolean;
  preview?: Preview;
}
export interface SysItem {
  t: "sys";
  seq: number;
  ts: number;
  ev: MemberEvent | RoomChangeEvent;
}
export type Item = MsgItem | SysItem;
export type Mod = Extract<RoomEvent, { kind: "edit" | "delete" | "reaction" }> | PreviewEvent;

/**
 * A root's thread summary: the one history gave (it counts replies up to its lastReplyAt) plus the
 * live replies after that (any order, duplicates allowed). Undefined when there are none.
 */
export function threadSummary(base: ThreadSummary | undefined, replies: Iterable<MessageEvent>): ThreadSummary | undefined {
  const after = base?.lastReplyAt ?? -Infinity;
  const seen = new Set<number>();
  let out = base ? { ...base, participants: [...base.participants] } : undefined;
  for (const r of replies) {
    if (r.ts <= after || seen.has(r.seq)) continue;
    seen.add(r.seq);
    out ??= { replies: 0, lastReplyAt: 0, participants: [] };
    out.replies++;
    out.lastReplyAt = Math.max(out.lastReplyAt, r.ts);
    if (!out.participants.includes(r.sender)) out.participants.push(r.sender);
  }
  return out;
}

export function fold(m: MessageEvent, mods: Mod[] | undefined, replies: Iterable<MessageEvent> = []): MsgItem {
  const item: MsgItem = {
    t: "msg",
    seq: m.seq,
    msgId: m.msgId,
    clientMsgId: m.clientMsgId,
    sender: m.sender,
    ts: m.ts,
    body: m.body ?? "",
    replyTo: m.replyTo,
    replyPreview: m.replyPreview,
    mentions: m.mentions,
    attachments: m.attachments,
    editedAt: m.editedAt,
    deleted: m.deleted,
    reactions: structuredClone(m.reactions ?? {}),
    threadRoot: m.threadRoot,
    alsoInRoom: m.alsoInRoom,
    thread: m.threadRoot === undefined ? threadSummary(m.thread, replies) : undefined,
    forwarded: m.forwarded,
  };
  for (const mod of (mods ?? []).slice().sort((a, b) => a.seq - b.seq)) {
    if (mod.kind === "edit") {
      item.body = mod.body;
      item.editedAt = mod.ts;
    } else if (mod.kind === "delete") {
      item.deleted = true;
      item.expired = !!mod.expired;
      item.body = "";
      item.attachments = undefined;
      item.preview = undefined;
    } else if (mod.kind === "preview") {
      if (!item.deleted) item.preview = { url: mod.url, title: mod.title, description: mod.description, siteName: mod.siteName, image: mod.image };
    } else {
      const list = (item.reactions[mod.emoji] ??= []);
      const i = list.indexOf(mod.sender);
      if (mod.on && i < 0) list.push(mod.sender);
      if (!mod.on && i >= 0) list.splice(i, 1);
      if (!list.length) delete item.reactions[mod.emoji];
    }
  }
  return item;
}

