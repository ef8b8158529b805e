// Pure merge of a room-list snapshot (welcome or GET /api/rooms) with what live events already told us.
import type { Room } from "../../../server/protocol/types";

/**
 * An HTTP snapshot can be older than the socket: taken before a message was stored, it may land
 * after that message's live event was counted. Per room, the fresher source wins: a snapshot whose
 * lastSeq is behind what we have seen keeps our live lastSeq, unread and mentions (its other fields
 * — name, topic, role — are still taken). Read marks only move forward, and a room read past its
 * last seq has nothing unread.
 */
export function mergeRoomSnapshot(prev: Room | undefined, snap: Room): Room {
  const lastActivity = snap.lastActivity ?? prev?.lastActivity ?? 0;
  if (!prev || snap.lastSeq >= prev.lastSeq) {
    const merged = { ...snap, lastActivity };
    if ((prev?.lastReadSeq ?? 0) >= snap.lastSeq && (prev?.lastReadSeq ?? 0) > (snap.lastReadSeq ?? 0)) {
      return { ...merged, lastReadSeq: prev!.lastReadSeq, unread: 0, mentions: 0 };
    }
    return merged;
  }
  const lastReadSeq = Math.max(prev.lastReadSeq ?? 0, snap.lastReadSeq ?? 0);
  const readAll = lastReadSeq >= prev.lastSeq;
  return {
    ...snap,
    lastSeq: prev.lastSeq,
    lastActivity: Math.max(lastActivity, prev.lastActivity ?? 0),
    lastReadSeq,
    unread: readAll ? 0 : prev.unread,
    mentions: readAll ? 0 : prev.mentions,
  };
}
