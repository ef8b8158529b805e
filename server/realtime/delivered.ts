// Delivered marks (protocol 1.2): `delivered` frames coalesced in memory, written in one statement per flush,
// and announced to the room in coalesced receipts.

import type { Context } from "../context";
import type { DeliveredMark } from "../ports/store";
import { marksFrame, publishRoomSignal, receiptFrame } from "./publish";

/** At most one write of delivered marks per this long per node, however many frames came in. */
export const DELIVERED_FLUSH_MS = 1_000;
/**
 * Delivered receipts per room per node: the first mark that moves after a quiet interval is announced at
 * once, the marks that move within the interval in one frame when it is over. Half a second: ticks stay
 * prompt (a DM's at once), and a room whose members all report (each at most once a second) costs its
 * sockets at most two receipt frames a second instead of one per member.
 */
export const DELIVERED_RECEIPTS_MS = 500;
/** Marks per batched frame: a huge room's batch goes out as several frames of at most this many (~15 KB). */
const MARKS_PER_FRAME = 200;
/** Marks remembered between flushes (a lower bound of what is stored); forgotten all at once past this. */
const KNOWN_MAX = 50_000;

interface Known {
  read: number;
  delivered: number;
}

/** A room whose delivered receipts are held back: the interval ends at `dueAt`; `pending` are the members whose mark moved since. */
interface Held {
  dueAt: number;
  pending: Map<string, Known>;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The cost model (docs/architecture.md, "Delivered marks"): a `delivered` frame costs a map lookup and,
 * when it moves a mark, an entry in the room's held receipts (or, after a quiet interval, one bus signal
 * at once); the first frame for a (room, member) since the cache was last emptied also reads the member
 * row. Receipts: at most one bus signal per room per `DELIVERED_RECEIPTS_MS` after the first, carrying
 * every mark that moved. Writes: one `advanceDelivered` statement per flush for every mark that moved on
 * this node since the last one, never one per frame.
 */
export function createDelivered(ctx: Context, publishedSeq: (room: string) => number | undefined) {
  const { store, bus, log, metrics, clock } = ctx;
  let pending = new Map<string, DeliveredMark>();
  const held = new Map<string, Held>();
  const known = new Map<string, Known>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const countFlush = metrics.count("parley_delivered_flushes_total", "delivered-mark writes (one statement each)");
  const countMarks = metrics.count("parley_delivered_marks_total", "delivered marks written");

  /** A member's mark moved: announce it now when the room was quiet for an interval, else with the room's next batch. */
  function announce(room: string, userId: string, k: Known): void {
    const h = held.get(room);
    if (h) return void h.pending.set(userId, k);
    publishRoomSignal(bus, room, receiptFrame(room, userId, k.read, k.delivered));
    held.set(room, { dueAt: clock.now() + DELIVERED_RECEIPTS_MS, pending: new Map(), timer: setTimeout(wake, DELIVERED_RECEIPTS_MS, room) });
  }

  /**
   * The room's interval is over (on the server's clock: a timer that fires early waits again): its held
   * marks go out in one signal and a new interval starts; a room with nothing held is quiet again.
   */
  function wake(room: string): void {
    const h = held.get(room);
    if (!h) return;
    const early = h.dueAt - clock.now();
    if (early > 0) return void (h.timer = setTimeout(wake, Math.min(early, DELIVERED_RECEIPTS_MS), room)); // the wall clock may step back
    if (h.pending.size === 0) return void held.delete(room);
    send(room, h.pending);
    h.pending = new Map();
    h.dueAt = clock.now() + DELIVERED_RECEIPTS_MS;
    h.timer = setTimeout(wake, DELIVERED_RECEIPTS_MS, room);
  }

  /** Held marks as they are now (a read since may have raised them): one mark is a plain receipt, several one batch. */
  function send(room: string, marks: Map<string, Known>): void {
    const all = [...marks].map(([userId, k]) => ({ userId, seq: k.read, delivered: Math.max(k.delivered, k.read) }));
    if (all.length === 1) return publishRoomSignal(bus, room, receiptFrame(room, all[0].userId, all[0].seq, all[0].delivered));
    for (let i = 0; i < all.length; i += MARKS_PER_FRAME) publishRoomSignal(bus, room, marksFrame(room, all.slice(i, i + MARKS_PER_FRAME)));
  }

  /** Writes the marks that moved since the last write, in one statement. */
  function write(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return flushing;
    const batch = [...pending.values()];
    pending = new Map();
    countFlush();
    countMarks(batch.length);
    flushing = flushing
      .then(() => store.advanceDelivered(batch))
      .catch((e) => log.warn("delivered marks not written", { err: String(e), marks: batch.length }));
    return flushing;
  }

  async function knownOf(key: string, room: string, userId: string): Promise<Known | undefined> {
    const k = known.get(key);
    if (k) return k;
    const m = await store.member(room, userId);
    if (!m) return undefined;
    if (known.size >= KNOWN_MAX) known.clear();
    const fresh = known.get(key) ?? { read: m.readSeq, delivered: m.deliveredSeq }; // another frame may have loaded it meanwhile
    known.set(key, fresh);
    return fresh;
  }

  return {
    /**
     * A member's clients got the room up to `seq`: forward only, never past what this node handed to
     * its sockets (or the room's last seq). Returns the mark after the call. A mark that moved is
     * announced with a receipt (at once, or with the room's next batch) and written with the next flush.
     */
    async report(room: string, userId: string, seq: number): Promise<number> {
      const key = room + "\0" + userId;
      const k = await knownOf(key, room, userId);
      if (!k) return 0;
      const top = publishedSeq(room) ?? (await store.lastSeq(room));
      const next = Math.min(seq, top);
      if (next <= k.delivered || next <= k.read) return Math.max(k.delivered, k.read);
      k.delivered = next;
      pending.set(key, { roomId: room, userId, seq: next });
      timer ??= setTimeout(write, DELIVERED_FLUSH_MS);
      announce(room, userId, k);
      return next;
    },
    /** A read mark moved on this node: the receipt it sends carries the delivered mark too (so a held one is dropped). */
    noteRead(room: string, userId: string, read: number): number {
      held.get(room)?.pending.delete(userId);
      const k = known.get(room + "\0" + userId);
      if (!k) return read;
      k.read = Math.max(k.read, read);
      k.delivered = Math.max(k.delivered, k.read);
      return k.delivered;
    },
    /** Graceful stop: announces the held receipts and writes what is pending now; resolves once written. */
    flush(): Promise<void> {
      for (const [room, h] of held) {
        clearTimeout(h.timer);
        if (h.pending.size > 0) send(room, h.pending);
      }
      held.clear();
      return write();
    },
  };
}

export type Delivered = ReturnType<typeof createDelivered>;
