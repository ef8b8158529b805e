// Retention: a background job that expires old messages the way a delete does (a tombstone, a `delete` event with `expired: true`), run by one node of a cluster at a time.

import type { Context } from "../../context";
import type { NewEvent, RoomRow } from "../../ports/store";
import type { RoomEvent } from "../../protocol/types";

export const RETENTION_LEASE = "retention";
/** The contract's "at least every 10 s". */
export const RETENTION_INTERVAL_MS = 10_000;
/** Longer than any pass: a node that dies holding it is replaced within this. Renewed before every room page. */
export const RETENTION_LEASE_MS = 60_000;
/** Messages expired per pass at most (a backlog clears over several passes, leaving the writer to the live traffic). */
const MAX_PER_PASS = 5_000;
/** Events read per page, and delete events per transaction at most. */
const PAGE = 500;
const ROOMS_PAGE = 500;

export interface RetentionOptions {
  /** Where a message of this room expires: sent before the returned time (ms), or never (undefined). Per-room expiry plugs in here. */
  cutoff(room: RoomRow, now: number): number | undefined;
  /** After a delete commits, its uploads' bytes go (the uploads service's removeForMessage). */
  removeUploads(room: string, msgSeq: number): Promise<void>;
  intervalMs?: number;
  leaseMs?: number;
}

export interface PassResult {
  /** False when another node holds the lease: this node did nothing. */
  ran: boolean;
  expired: number;
}

/** Server-wide --retention-days as a cutoff: messages older than that many days. */
export const retentionCutoff = (days: number) => (_room: RoomRow, now: number) => (days > 0 ? now - days * 86_400_000 : undefined);

/**
 * The delete events of expired messages, exactly those of a delete by its sender (the tombstone, the
 * body and earlier edits' text gone, mentions, reactions and attachments removed: STORE-15) plus
 * `expired: true`, appended through the writer so they are fanned out and replayed on resume like any
 * event. This is the one way messages expire: server-wide retention and per-room expiry both use it.
 */
export async function expireMessages(ctx: Context, messages: { room: string; seq: number; sender: string }[], removeUploads: RetentionOptions["removeUploads"]): Promise<void> {
  if (messages.length === 0) return;
  const now = ctx.clock.now();
  const events: NewEvent[] = messages.map((m) => ({
    room: m.room, kind: "delete", sender: m.sender, ts: now, data: { msgSeq: m.seq, expired: true }, effects: [{ type: "message.delete", msgSeq: m.seq }],
  }));
  await ctx.writer.appendAll(events);
  for (const m of messages) await removeUploads(m.room, m.seq);
}

export function createRetention(ctx: Context, opts: RetentionOptions) {
  const holder = ctx.ids.id();
  const leaseMs = opts.leaseMs ?? RETENTION_LEASE_MS;
  /** Per room, the seq below which every event was looked at (messages there are expired or newer than a cutoff once were). */
  const scanned = new Map<string, number>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<PassResult> | undefined;
  let stopped = false;
  const stats = { passes: 0, expired: 0 };

  const hold = () => ctx.store.takeLease(RETENTION_LEASE, holder, ctx.clock.now(), leaseMs);

  /** The messages of one room past its cutoff, oldest first, from where the last pass stopped; stops at the first event not past it. */
  async function expireRoom(room: RoomRow, cutoff: number, budget: number): Promise<number> {
    let done = 0;
    let from = scanned.get(room.id) ?? 0;
    while (from < room.lastSeq && done < budget && !stopped) {
      if (!(await hold())) return done; // lost the lease (a pause longer than it): another node carries on
      const page = await ctx.store.events(room.id, { after: from, limit: Math.min(PAGE, budget - done) });
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
      await expireMessages(ctx, due, opts.removeUploads);
      done += due.length;
      scanned.set(room.id, last);
      if (reached || page.events.length === 0) break;
      from = last;
    }
    return done;
  }

  /** One pass over every room, if this node holds (or takes) the lease. */
  async function pass(): Promise<PassResult> {
    if (!(await hold())) return { ran: false, expired: 0 };
    stats.passes++;
    let expired = 0;
    for (let after: string | undefined; !stopped && expired < MAX_PER_PASS; ) {
      const rooms = await ctx.store.allRooms({ after, limit: ROOMS_PAGE });
      for (const room of rooms) {
        const cutoff = opts.cutoff(room, ctx.clock.now());
        if (cutoff === undefined || (scanned.get(room.id) ?? 0) >= room.lastSeq) continue;
        expired += await expireRoom(room, cutoff, MAX_PER_PASS - expired);
        if (expired >= MAX_PER_PASS || stopped) break;
      }
      if (rooms.length < ROOMS_PAGE) break;
      after = rooms[rooms.length - 1].id;
    }
    stats.expired += expired;
    if (expired > 0) ctx.log.info("retention pass", { expired });
    return { ran: true, expired };
  }

  /** Never two passes at once on this node: a tick that finds one running waits for it. */
  const runOnce = () =>
    (running ??= pass()
      .catch((e) => {
        ctx.log.warn("retention pass failed", { err: String(e) });
        return { ran: false, expired: 0 };
      })
      .finally(() => (running = undefined)));

  return {
    holder,
    stats,
    runOnce,
    start() {
      void runOnce();
      timer = setInterval(() => void runOnce(), opts.intervalMs ?? RETENTION_INTERVAL_MS);
      timer.unref?.();
    },
    /** Stops the timer and lets the lease go, so another node takes over at once. */
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await ctx.store.releaseLease(RETENTION_LEASE, holder).catch(() => undefined);
    },
  };
}
export type Retention = ReturnType<typeof createRetention>;
