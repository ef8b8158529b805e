// Stored event row ↔ wire event: one mapping shared by every SQL adapter.

import type { RoomEvent } from "../../protocol/types";

export interface EventRowLike {
  roomId: string;
  seq: number;
  kind: string;
  senderId: string;
  ts: number;
  msgId: string | null;
  clientMsgId: string | null;
  body: string | null;
  replyTo: number | null;
  data: string | null;
  editedAt: number | null;
  deletedAt: number | null;
}

export function eventToWire(r: EventRowLike): RoomEvent {
  const e: Record<string, unknown> = { room: r.roomId, seq: r.seq, kind: r.kind, sender: r.senderId, ts: r.ts };
  if (r.data) Object.assign(e, JSON.parse(r.data));
  if (r.kind === "message") {
    e.msgId = r.msgId;
    e.clientMsgId = r.clientMsgId;
    e.body = r.deletedAt ? "" : r.body;
    if (r.replyTo !== null) e.replyTo = r.replyTo;
    if (r.editedAt !== null) e.editedAt = r.editedAt;
    if (r.deletedAt !== null) e.deleted = true;
  } else if (r.body !== null) e.body = r.body;
  return e as unknown as RoomEvent;
}

export function rowsChunked<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * Idempotency within an append: events whose (sender, clientMsgId) is `known` (stored before) get
 * that event with duplicate=true in `results`; a repeat within the batch maps to the index of its
 * first occurrence in `repeatOf` (the caller gives it the first one's event once that has a seq).
 */
export function markRepeats(
  batch: readonly { sender: string; clientMsgId?: string }[],
  known: Map<string, EventRowLike>,
  results: { event: RoomEvent; duplicate: boolean }[],
  keyOf: (clientMsgId: string) => string = (k) => k,
): Map<number, number> {
  const firstOf = new Map<string, number>();
  const repeatOf = new Map<number, number>();
  batch.forEach((e, i) => {
    if (e.clientMsgId === undefined) return;
    const k = e.sender + "\0" + keyOf(e.clientMsgId);
    const hit = known.get(k);
    if (hit) results[i] = { event: eventToWire(hit), duplicate: true };
    else if (firstOf.has(k)) repeatOf.set(i, firstOf.get(k)!);
    else firstOf.set(k, i);
  });
  return repeatOf;
}
