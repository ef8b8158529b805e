// Expiring messages (protocol 1.2): a room's messageTtlSec > 0 makes the expiry job delete its
// messages once they are older, exactly like a `delete` (tombstone, body and attachments gone) with
// `expired: true`. One node of a cluster runs each pass (ops/leased-job.ts).

import type { Context } from "../../context";
import { leasedJob, type LeasedJob } from "../ops/leased-job";
import { expireMessages } from "../ops/retention";

/** The contract: a message is gone at most this long after it expires. */
export const EXPIRY_EVERY_MS = 10_000;
const BATCH = 200;
const PASS_MAX = 5_000;

export function createExpiry(ctx: Context, removeUploads: (room: string, msgSeq: number) => Promise<void>): LeasedJob {
  const { store } = ctx;

  const job = leasedJob(ctx, {
    name: "message-expiry",
    everyMs: EXPIRY_EVERY_MS,
    async pass(now) {
      // A long backlog (a TTL set on an old room) clears over several passes, as retention's does.
      for (let done = 0; done < PASS_MAX; ) {
        const due = await store.expiredMessages(now, BATCH);
        await expireMessages(ctx, due, removeUploads);
        done += due.length;
        if (due.length < BATCH) return;
      }
    },
  });
  // Once at start-up too, so a server that was down catches up at once (as retention does).
  job.runOnce().catch((e) => ctx.log.warn("message expiry failed", { err: String(e) }));
  return job;
}
