// Writing to rooms over the socket: send (through the outbox, resent after reconnect), edit, delete, react, mark read. Acks go through applyEvent.
import type { Attachment, ClientFrame } from "../../../server/protocol/types";
import type { ApiError } from "../lib/errors";
import { isOpen, request, send } from "../lib/socket";
import { applyEvent } from "./events";
import { addPending, discard, newId, pending, sendable, updatePending } from "./outbox";
import { markRoomRead, rooms } from "./rooms";

const inFlight = new Set<string>();

/** Queue a message (shown at once as pending) and send it when connected; `thread` makes it a thread reply. */
export function sendMessage(room: string, body: string, replyTo?: number, attachments?: Attachment[], thread?: { root: number; alsoInRoom: boolean }): void {
  transmit(addPending(room, body, replyTo, attachments, thread).clientMsgId);
}

/** Forward message `seq` of room `from` into room `to` (the server copies its body and files). */
export async function forwardMessage(to: string, from: string, seq: number): Promise<void> {
  const ok = await request({ type: "send", room: to, clientMsgId: newId(), body: "", forward: { room: from, seq } });
  if (ok.event) applyEvent(ok.event);
}

export function retry(clientMsgId: string): void {
  updatePending(clientMsgId, { state: "sending", error: undefined });
  transmit(clientMsgId);
}

function transmit(clientMsgId: string): void {
  const p = pending(clientMsgId);
  if (!p || p.state !== "sending" || inFlight.has(clientMsgId) || !isOpen()) return;
  inFlight.add(clientMsgId);
  const frame = { type: "send" as const, room: p.room, clientMsgId: p.clientMsgId, body: p.body, replyTo: p.replyTo, attachments: p.attachments?.map((a) => a.id), thread: p.thread, alsoInRoom: p.alsoInRoom };
  request(frame, `send:${p.clientMsgId}`.slice(0, 64))
    .then((ok) => {
      inFlight.delete(clientMsgId);
      if (ok.event) applyEvent(ok.event);
      discard(clientMsgId);
    })
    .catch((e: ApiError) => {
      inFlight.delete(clientMsgId);
      if (e.code === "disconnected") return; // resent after the next welcome
      if (e.code === "timeout") return void setTimeout(() => transmit(clientMsgId), 1000);
      if (e.code === "rate_limited") return void setTimeout(() => transmit(clientMsgId), Math.max(250, e.retryAfterMs ?? 1000));
      updatePending(clientMsgId, { state: "failed", error: e.message || e.code });
    });
}

/** After (re)connecting: resend everything still pending, oldest first. */
export function flushOutbox(): void {
  for (const p of sendable()) transmit(p.clientMsgId);
}

/** A request whose `ok` carries the resulting event; rejects with ApiError. */
async function write(frame: ClientFrame): Promise<void> {
  const ok = await request(frame);
  if (ok.event) applyEvent(ok.event);
}

export const editMessage = (room: string, msgSeq: number, body: string) => write({ type: "edit", room, msgSeq, body });
export const deleteMessage = (room: string, msgSeq: number) => write({ type: "delete", room, msgSeq });
export const react = (room: string, msgSeq: number, emoji: string, on: boolean) => write({ type: "react", room, msgSeq, emoji, on });

const sentRead: Record<string, number> = {};
/** Tell the server (and other members) how far we have read. Never moves backwards. */
export function markRead(room: string, seq: number): void {
  const r = rooms[room];
  if (!seq || !r) return;
  const known = Math.max(sentRead[room] ?? 0, r.lastReadSeq ?? 0);
  if (seq > known) {
    if (!send({ type: "read", room, seq })) return;
    sentRead[room] = seq;
  }
  if (seq > (r.lastReadSeq ?? 0) || r.unread || r.mentions) markRoomRead(room, Math.max(seq, r.lastReadSeq ?? 0));
}
