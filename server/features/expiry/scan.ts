// Expiring messages: old messages expire the way a delete does (a tombstone, a `delete` event with
// `expired: true`), under two rules — a room's messageTtlSec (protocol 1.2) and the server-wide
// --retention-days — combined into one cutoff per room (expiryCutoff). One scan serves both, run by
// the expiry job (expiry.ts) under its one lease, so it never runs at once on two nodes and a message
// due under both rules is deleted once.

import type { Context } from "../../context";
import type { NewEvent, RoomRow } from "../../ports/store";
import type { RoomEvent } from "../../protocol/types";

/** Messages expired per pass at most (a backlog clears over several passes, leaving the writer to the live traffic). */
const MAX_PER_PASS = 5_000;
/**
 * Events read per pass at most: a room scanned for the first time (a TTL set on an old room, retention
 * turned on) is read from its first event, spread over passes so none outlasts the lease.
 */
const MAX_READ_PER_PASS = 50_000;
/** Events read per page, and delete events per transaction at most. */
const PAGE = 500;
/**
 * A room's first page of a pass: in a room with steady traffic the scan stops a few events past its
 * mark (at the first one not due yet), so reading PAGE events there would be mostly waste.
 */
const FIRST_PAGE = 50;
const ROOMS_PAGE = 500;

export interface ExpiryScanOptions {
  /** Where a message of this room expires: sent before the returned time (ms), or never (undefined). */
  cutoff(room: RoomRow, now: number): number | undefined;
  /** After a delete commits, its uploads' bytes go (the uploads service's removeForMessage). */
  removeUploads(room: string, msgSeq: number): Promise<void>;
  /** MAX_PER_PASS and MAX_READ_PER_PASS unless a test needs a pass to run out sooner. */
  perPass?: { expired: number; read: number };
}

/**
 * Where a room's messages expire now: the later of its messageTtlSec's cutoff and --retention-days'
 * (0: off), so whichever rule is stricter wins; undefined when neither applies.
 */
export function expiryCutoff(retentionDays: number) {
  return (room: RoomRow, now: number): number | undefined => {
    const ttl = room.messageTtlSec > 0 ? now - room.messageTtlSec * 1000 : undefined;
    const kept = retentionDays > 0 ? now - retentionDays * 86_400_000 : undefined;
    return ttl === undefined ? kept : kept === undefined ? ttl : Math.max(ttl, kept);
  };
}

/**
 * The delete events of expired messages, exactly those of a delete by its sender (the tombstone, the
 * body and earlier edits' text gone, mentions, reactions and attachments removed: STORE-15) plus
 * `expired: true`, appended through the writer so they are fanned out and replayed on resume like any
 * event. This is the one way messages expire: server-wide retention and per-room expiry both use it.
 */
export async function expireMessages(ctx: Context, messages: { room: string; seq: number; sender: string }[], removeUploads: ExpiryScanOptions["removeUploads"]): Promise<number> {
  // A message its sender or an admin deleted since it was read gets no second delete event: skipped
  // here, and refused by the store if a delete lands between this check and the append (STORE-150).
  const live = [];
  for (const m of messages) if ((await ctx.store.message(m.room, m.seq))?.deleted === false) live.push(m);
  if (live.length === 0) return 0;
  const now = ctx.clock.now();
  const events: NewEvent[] = live.map((m) => ({
    room: m.room, kind: "delete", sender: m.sender, ts: now, data: { msgSeq: m.seq, expired: true }, effects: [{ type: "message.delete", msgSeq: m.seq }],
  }));
  const written = await ctx.writer.appendAll(events);
  const expired = live.filter((_, i) => !written[i].duplicate);
  for (const m of expired) await removeUploads(m.room, m.seq);
  return expired.length;
}

/**
 * The expiry scan, run by the expiry job's pass on the node holding its lease; `pass` returns how many
 * messages it expired. Each room is read in seq order from its mark (Store.expiryMarks: every event up
 * to it was looked at), up to the first event not due yet: messages are stored in the order they were
 * sent, so nothing after that one is due either (a clock stepped back delays the next ones by as much).
 * No index of messages by time is needed (each message written would pay for one: docs/architecture.md,
 * "Expiring messages"), and the marks are stored, so a restart or another node carries on where the
 * last pass stopped instead of reading every tombstone again.
 */
export function createExpiryScan(ctx: Context, opts: ExpiryScanOptions) {
  /** The marks read or written by this node (a mark only moves forward; one another node moved further is read again at worst). */
  const scanned = new Map<string, number>();
  let stopped = false;
  const perPass = opts.perPass ?? { expired: MAX_PER_PASS, read: MAX_READ_PER_PASS };
  let readThisPass = 0;
  /** The room in which the last pass ran out of budget: the next pass starts after it. */
  let resumeAfter: string | undefined;

  /** The messages of one room past its cutoff, oldest first, from where the last pass stopped; stops at the first event not past it. */
  async function expireRoom(room: RoomRow, cutoff: number, budget: number): Promise<number> {
    let done = 0;
    let from = scanned.get(room.id) ?? 0;
    let size = FIRST_PAGE;
    while (from < room.lastSeq && done < budget && readThisPass < perPass.read && !stopped) {
      const page = await ctx.store.events(room.id, { after: from, limit: Math.min(size, budget - done) });
      size = PAGE;
      readThisPass += page.events.length;
      const due: { room: string; seq: number; sender: string }[] = [];
      let last = from;
      let reached = false;
      for (const e of page.events as RoomEvent[]) {
        if (e.ts >= cutoff) {
          reached = true;
          break;
        }
        last = e.seq;
        if (e.kind === "message" && !e.deleted) due.push({ room: room.id, seq: e.seq, sender: e.sender });
      }
      done += await expireMessages(ctx, due, opts.removeUploads);
      if (last > from) await ctx.store.setExpiryMark(room.id, last); // after the deletes: a crash in between reads them again, no more
      scanned.set(room.id, last);
      if (reached || page.events.length === 0) break;
      from = last;
    }
    return done;
  }

  /** Rooms in id order after `after` (from the first with undefined), a page at a time. */
  async function* roomPages(after: string | undefined): AsyncGenerator<RoomRow[]> {
    for (let cursor = after; ; ) {
      const rooms = await ctx.store.allRooms({ after: cursor, limit: ROOMS_PAGE });
      if (rooms.length > 0) yield rooms;
      if (rooms.length < ROOMS_PAGE) return;
      cursor = rooms[rooms.length - 1].id;
    }
  }

  /**
   * Every room once, a page at a time, in id order from the room after `after` on, then from the first
   * room up to where that started (no comparison of ids here: the store's order decides).
   */
  async function* roomsAfter(after: string | undefined): AsyncGenerator<RoomRow[]> {
    let first: string | undefined;
    for await (const rooms of roomPages(after)) {
      first ??= rooms[0].id;
      yield rooms;
    }
    if (after === undefined) return;
    for await (const rooms of roomPages(undefined)) {
      const end = rooms.findIndex((r) => r.id === first);
      const part = end >= 0 ? rooms.slice(0, end) : rooms;
      if (part.length > 0) yield part;
      if (end >= 0) return;
    }
  }

  /**
   * One pass over every room (the expiry job runs it only on the node holding its lease). A pass that
   * runs out of its budget in a room makes the next one start with the room after it, so a long backlog
   * (a TTL set on an old room) takes its turn with the others instead of holding up every room after it.
   */
  async function pass(now: number): Promise<number> {
    readThisPass = 0;
    let expired = 0;
    const start = resumeAfter;
    resumeAfter = undefined;
    scan: for await (const rooms of roomsAfter(start)) {
      // The rooms a rule applies to, each with its cutoff; their marks read once per node, a page at a time.
      const ruled = rooms.flatMap((room) => {
        const cutoff = room.lastSeq > 0 ? opts.cutoff(room, now) : undefined;
        return cutoff === undefined ? [] : [{ room, cutoff }];
      });
      const unknown = ruled.filter(({ room }) => !scanned.has(room.id)).map(({ room }) => room.id);
      for (const id of unknown) scanned.set(id, 0);
      for (const [id, seq] of await ctx.store.expiryMarks(unknown)) scanned.set(id, seq);
      for (const { room, cutoff } of ruled) {
        if (scanned.get(room.id)! >= room.lastSeq) continue;
        expired += await expireRoom(room, cutoff, perPass.expired - expired);
        if (stopped) break scan;
        if (expired >= perPass.expired || readThisPass >= perPass.read) {
          resumeAfter = room.id;
          break scan;
        }
      }
    }
    if (expired > 0) ctx.log.info("expiry pass", { expired });
    return expired;
  }

  return {
    pass,
    /** Ends a running pass early (between pages); the expiry job's stop calls it. */
    stop: () => void (stopped = true),
  };
}
