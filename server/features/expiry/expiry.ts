// The expiry job: every way a message expires, in one background job under one lease
// (ops/leased-job.ts), so one node of a cluster deletes expired messages at a time. A pass deletes,
// exactly like a `delete` (tombstone, body and attachments gone) with `expired: true`:
// - expiring messages (protocol 1.2): a room's messageTtlSec > 0, messages older than that;
// - server-wide retention (--retention-days), when set.
// One scan (scan.ts) applies both, with the stricter cutoff of the two per room, so a message due
// under both rules is deleted once.

import type { Context } from "../../context";
import { leasedJob } from "../ops/leased-job";
import { createExpiryScan, expiryCutoff } from "./scan";

/** The contract: a message is gone at most this long after it expires. */
export const EXPIRY_EVERY_MS = 10_000;
/** The job's one lease: retention has none of its own. */
export const EXPIRY_LEASE = "message-expiry";

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
  const scan = createExpiryScan(ctx, { cutoff: expiryCutoff(opts.retentionDays ?? 0), removeUploads: opts.removeUploads });
  const stats = { passes: 0, expired: 0 };

  const job = leasedJob(ctx, {
    name: opts.lease ?? EXPIRY_LEASE,
    everyMs: opts.intervalMs ?? EXPIRY_EVERY_MS,
    async pass(now) {
      stats.passes++;
      stats.expired += await scan.pass(now);
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
      scan.stop();
      await job.stop();
    },
  };
}
export type Expiry = ReturnType<typeof createExpiry>;
