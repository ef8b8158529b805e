// Pure folding of a message snapshot with its edit/delete/reaction events (seq order); no framework code.
import type { Attachment, MemberEvent, MessageEvent, RoomChangeEvent, RoomEvent } from "../../../server/protocol/types";

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
}
export interface SysItem {
  t: "sys";
  seq: number;
  ts: number;
  ev: MemberEvent | RoomChangeEvent;
}
export type Item = MsgItem | SysItem;
export type Mod = Extract<RoomEvent, { kind: "edit" | "delete" | "reaction" }>;

export function fold(m: MessageEvent, mods: Mod[] | undefined): MsgItem {
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
  };
  for (const mod of (mods ?? []).slice().sort((a, b) => a.seq - b.seq)) {
    if (mod.kind === "edit") {
      item.body = mod.body;
      item.editedAt = mod.ts;
    } else if (mod.kind === "delete") {
      item.deleted = true;
      item.body = "";
      item.attachments = undefined;
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

