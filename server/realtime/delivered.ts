// Delivered marks (protocol 1.2): `delivered` frames coalesced in memory, written in one statement per flush.

import type { Context } from "../context";
import type { DeliveredMark } from "../ports/store";
import { publishRoomSignal, receiptFrame } from "./publish";

/** At most one write of delivered marks per this long per node, however many frames came in. */
export const DELIVERED_FLUSH_MS = 1_000;
/** Marks remembered between flushes (a lower bound of what is stored); forgotten all at once past this. */
const KNOWN_MAX = 50_000;

interface Known {
  read: number;
  delivered: number;
}

/**
 * The cost model (docs/architecture.md, "Delivered marks"): a `delivered` frame costs a map lookup and,
 * when it moves a mark, one bus signal (the receipt); the first frame for a (room, member) since the
 * cache was last emptied also reads the member row. Writes: one `advanceDelivered` statement per flush
 * for every mark that moved on this node since the last one, never one per frame.
 */
export function createDelivered(ctx: Context, publishedSeq: (room: string) => number | undefined) {
  const { store, bus, log, metrics } = ctx;
  let pending = new Map<string, DeliveredMark>();
  const known = new Map<string, Known>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const countFlush = metrics.count("parley_delivered_flushes_total", "delivered-mark writes (one statement each)");
  const countMarks = metrics.count("parley_delivered_marks_total", "delivered marks written");

  function flush(): Promise<void> {
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
     * announced with a receipt at once and written with the next flush.
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
      timer ??= setTimeout(flush, DELIVERED_FLUSH_MS);
      publishRoomSignal(bus, room, receiptFrame(room, userId, k.read, next));
      return next;
    },
    /** A read mark moved on this node: the receipt it sends carries the delivered mark too. */
    noteRead(room: string, userId: string, read: number): number {
      const k = known.get(room + "\0" + userId);
      if (!k) return read;
      k.read = Math.max(k.read, read);
      k.delivered = Math.max(k.delivered, k.read);
      return k.delivered;
    },
    /** Writes what is pending now (graceful stop); resolves once written. */
    flush,
  };
}

export type Delivered = ReturnType<typeof createDelivered>;
