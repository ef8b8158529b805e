// Stored event row ↔ wire event: one mapping shared by every SQL adapter.

import type { RoomEvent } from "../../protocol/types";
import type { NewEvent } from "../../ports/store";

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

/** The message (room, seq) a `message.delete` effect of this event deletes; undefined for other events. */
export function deleteTarget(e: NewEvent): [string, number] | undefined {
  for (const f of e.effects ?? []) if (f.type === "message.delete") return [e.room, f.msgSeq];
  return undefined;
}

/** A message's key in `repeatDelete`'s maps. */
export const messageKey = (room: string, seq: number) => room + "\0" + seq;

/**
 * One delete per message (STORE-150). Event i, when its message.delete targets a message deleted
 * before (`deletedBy`: the delete event that did it, read inside the append's transaction) or by an
 * earlier event of the batch (`firstDelete`, filled here), appends nothing and takes no seq: it gets
 * that delete event with duplicate=true, at once or through `repeatOf` (as a repeated clientMsgId).
 * Returns true when event i is refused so.
 */
export function repeatDelete(
  e: NewEvent,
  i: number,
  deletedBy: Map<string, EventRowLike>,
  firstDelete: Map<string, number>,
  results: { event: RoomEvent; duplicate: boolean }[],
  repeatOf: Map<number, number>,
): boolean {
  const t = deleteTarget(e);
  if (t === undefined) return false;
  const target = messageKey(...t);
  const stored = deletedBy.get(target);
  if (stored) results[i] = { event: eventToWire(stored), duplicate: true };
  else if (firstDelete.has(target)) repeatOf.set(i, firstDelete.get(target)!);
  else firstDelete.set(target, i);
  return stored !== undefined || repeatOf.has(i);
}
