// Optimistic sends: the pending messages, persisted in localStorage per user and matched by clientMsgId (sending lives in messages.ts).
import { createStore, produce } from "solid-js/store";
import type { Attachment, MessageEvent } from "../../../server/protocol/types";

export interface Pending {
  room: string;
  clientMsgId: string;
  body: string;
  replyTo?: number;
  attachments?: Attachment[];
  /** A thread reply: the root's seq; alsoInRoom shows it in the room too. */
  thread?: number;
  alsoInRoom?: boolean;
  ts: number;
  state: "sending" | "failed";
  error?: string;
}

const [outbox, setOutbox] = createStore<{ list: Pending[] }>({ list: [] });
export { outbox };
let key = "";

function persist(): void {
  if (!key || typeof localStorage === "undefined") return;
  const list = outbox.list.map((p) => ({ ...p }));
  if (list.length) localStorage.setItem(key, JSON.stringify(list));
  else localStorage.removeItem(key);
}

/** Load the outbox of a user (after login or on reload). */
export function loadOutbox(userId: string): void {
  key = `parley.outbox.${userId}`;
  let list: Pending[] = [];
  try {
    list = JSON.parse(localStorage.getItem(key) ?? "[]");
  } catch {
    /* corrupt: start empty */
  }
  setOutbox("list", Array.isArray(list) ? list : []);
}

export function clearOutbox(): void {
  if (key) localStorage.removeItem(key);
  key = "";
  setOutbox("list", []);
}

export function newId(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}

/** Add a message to send; returns its pending record. */
export function addPending(room: string, body: string, replyTo?: number, attachments?: Attachment[], thread?: { root: number; alsoInRoom: boolean }): Pending {
  const p: Pending = { room, clientMsgId: newId(), body, replyTo, attachments: attachments?.length ? attachments : undefined, ts: Date.now(), state: "sending" };
  if (thread) Object.assign(p, { thread: thread.root, alsoInRoom: thread.alsoInRoom || undefined });
  setOutbox("list", (l) => [...l, p]);
  persist();
  return p;
}

export function pending(clientMsgId: string): Pending | undefined {
  return outbox.list.find((x) => x.clientMsgId === clientMsgId);
}

export function discard(clientMsgId: string): void {
  setOutbox("list", (l) => l.filter((p) => p.clientMsgId !== clientMsgId));
  persist();
}

export function updatePending(clientMsgId: string, patch: Partial<Pending>): void {
  setOutbox(
    "list",
    (p) => p.clientMsgId === clientMsgId,
    produce((p) => Object.assign(p, patch)),
  );
  persist();
}

/** A message event arrived (ack or fan-out): if it is one of ours, the pending copy is done. */
export function settle(ev: MessageEvent): void {
  if (!ev.clientMsgId) return;
  if (!outbox.list.some((p) => p.clientMsgId === ev.clientMsgId && p.room === ev.room)) return;
  discard(ev.clientMsgId);
}

/** Everything still to send, oldest first. */
export function sendable(): Pending[] {
  return outbox.list.filter((p) => p.state === "sending").sort((a, b) => a.ts - b.ts);
}
