// The expiry job: every way a message expires, in one background job under one lease
// (ops/leased-job.ts), so one node of a cluster deletes expired messages at a time. A pass deletes,
// exactly like a `delete` (tombstone, body and attachments gone) with `expired: true`:
// - expiring messages (protocol 1.2): a room's messageTtlSec > 0, messages older than that;
// - server-wide retention (--retention-days, ops/retention.ts), when set.
// Both parts go through expireMessages and run one after the other in the same pass, so a message
// due under both rules is deleted once: the second part no longer sees it live.

import type { Context } from "../../context";
import { leasedJob } from "../ops/leased-job";
import { createRetentionScan, expireMessages, retentionCutoff } from "../ops/retention";

/** The contract: a message is gone at most this long after it expires. */
export const EXPIRY_EVERY_MS = 10_000;
/** The job's one lease: retention has none of its own. */
export const EXPIRY_LEASE = "message-expiry";
const BATCH = 200;
const PASS_MAX = 5_000;

export interface ExpiryOptions {
  /** After a delete commits, its uploads' bytes go (the uploads service's removeForMessage). */
  removeUploads(room: string, msgSeq: number): Promise<void>;
  /** --retention-days; 0 or absent: only rooms' expiring messages. */
  retentionDays?: number;
  intervalMs?: number;
  /** EXPIRY_LEASE unless a test runs a job of its own beside a server's. */
  lease?: string;
}

export function createExpiry(ctx: Context, opts: ExpiryOptions) {
  const { store } = ctx;
  const retention = (opts.retentionDays ?? 0) > 0
    ? createRetentionScan(ctx, { cutoff: retentionCutoff(opts.retentionDays!), removeUploads: opts.removeUploads })
    : undefined;
  const stats = { passes: 0, expired: 0 };

  /** Rooms' expiring messages; a long backlog (a TTL set on an old room) clears over several passes. */
  async function roomTtlPart(now: number): Promise<number> {
    let expired = 0;
    for (let read = 0; read < PASS_MAX; ) {
      const due = await store.expiredMessages(now, BATCH);
      expired += await expireMessages(ctx, due, opts.removeUploads);
      read += due.length;
      if (due.length < BATCH) break;
    }
    return expired;
  }

  const job = leasedJob(ctx, {
    name: opts.lease ?? EXPIRY_LEASE,
    everyMs: opts.intervalMs ?? EXPIRY_EVERY_MS,
    async pass(now) {
      stats.passes++;
      stats.expired += await roomTtlPart(now);
      if (retention) stats.expired += await retention.pass(now);
    },
  });
  const runOnce = () => job.runOnce().catch((e) => (ctx.log.warn("message expiry failed", { err: String(e) }), false));
  // Once at start-up too, so a server that was down catches up at once, not a period later.
  void runOnce();
  return {
    /** Passes this node ran and messages it expired (both rules). */
    stats,
    /** One pass now, if this node holds (or takes) the lease; true when it ran. */
    runOnce,
    /** Stops the timer and lets the lease go, so another node takes over at once. */
    async stop() {
      retention?.stop();
      await job.stop();
    },
  };
}
export type Expiry = ReturnType<typeof createExpiry>;
