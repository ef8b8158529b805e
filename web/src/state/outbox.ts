// Optimistic sends: pending messages persisted in localStorage, matched by clientMsgId, resent after reconnect.
import { createStore, produce } from "solid-js/store";
import type { Attachment, MessageEvent } from "../../../server/protocol/types";
import { request, isOpen, RequestError } from "../lib/socket";
import { ingest } from "./timeline";

export interface Pending {
  room: string;
  clientMsgId: string;
  body: string;
  replyTo?: number;
  attachments?: Attachment[];
  ts: number;
  state: "sending" | "failed";
  error?: string;
}

const [outbox, setOutbox] = createStore<{ list: Pending[] }>({ list: [] });
export { outbox };
let key = "";
const inFlight = new Set<string>();

function persist(): void {
  if (!key) return;
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
  inFlight.clear();
  setOutbox("list", []);
}

function newId(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + Math.random().toString(36).slice(2);
}

export function enqueue(room: string, body: string, replyTo?: number, attachments?: Attachment[]): void {
  const p: Pending = { room, clientMsgId: newId(), body, replyTo, attachments: attachments?.length ? attachments : undefined, ts: Date.now(), state: "sending" };
  setOutbox("list", (l) => [...l, p]);
  persist();
  transmit(p.clientMsgId);
}

export function retry(clientMsgId: string): void {
  update(clientMsgId, { state: "sending", error: undefined });
  transmit(clientMsgId);
}

export function discard(clientMsgId: string): void {
  setOutbox("list", (l) => l.filter((p) => p.clientMsgId !== clientMsgId));
  persist();
}

function update(clientMsgId: string, patch: Partial<Pending>): void {
  setOutbox(
    "list",
    (p) => p.clientMsgId === clientMsgId,
    produce((p) => Object.assign(p, patch)),
  );
  persist();
}

/** A message event arrived: if it is one of ours, the pending copy is done. */
export function settle(ev: MessageEvent): void {
  if (!ev.clientMsgId) return;
  if (!outbox.list.some((p) => p.clientMsgId === ev.clientMsgId && p.room === ev.room)) return;
  inFlight.delete(ev.clientMsgId);
  discard(ev.clientMsgId);
}

function transmit(clientMsgId: string): void {
  const p = outbox.list.find((x) => x.clientMsgId === clientMsgId);
  if (!p || p.state !== "sending" || inFlight.has(clientMsgId) || !isOpen()) return;
  inFlight.add(clientMsgId);
  const frame = { type: "send" as const, room: p.room, clientMsgId: p.clientMsgId, body: p.body, replyTo: p.replyTo, attachments: p.attachments?.map((a) => a.id) };
  request(frame, `send:${p.clientMsgId}`.slice(0, 64))
    .then((ok) => {
      inFlight.delete(clientMsgId);
      if (ok.event) {
        ingest(ok.event.room, [ok.event]);
        if (ok.event.kind === "message") settle(ok.event);
      }
      discard(clientMsgId);
    })
    .catch((e: RequestError) => {
      inFlight.delete(clientMsgId);
      if (e.code === "disconnected") return; // resent after the next welcome
      if (e.code === "timeout") return void setTimeout(() => transmit(clientMsgId), 1000);
      if (e.code === "rate_limited") {
        return void setTimeout(() => transmit(clientMsgId), Math.max(250, e.retryAfterMs ?? 1000));
      }
      update(clientMsgId, { state: "failed", error: e.message || e.code });
    });
}

/** After (re)connecting: resend everything still pending, oldest first. */
export function flushOutbox(): void {
  for (const p of outbox.list.slice().sort((a, b) => a.ts - b.ts)) if (p.state === "sending") transmit(p.clientMsgId);
}
