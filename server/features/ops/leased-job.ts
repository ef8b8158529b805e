// A periodic background job that one node of a cluster runs at a time, through a lease in the store
// (Store.takeLease). The one mechanism for every once-per-cluster job: the expiry job
// (features/expiry/expiry.ts: rooms' expiring messages and server-wide --retention-days, one lease
// for both, since both delete messages) uses it. Work that could touch the same rows as a job shares
// its lease rather than taking a second one.

import type { Context } from "../../context";

export interface LeasedJob {
  /** One pass now if this node holds (or takes) the lease; true when it ran. Passes on one node never overlap. */
  runOnce(): Promise<boolean>;
  /** Stops the timer, waits for a running pass and gives the lease back so another node takes over at once. */
  stop(): Promise<void>;
}

export function leasedJob(ctx: Pick<Context, "store" | "clock" | "ids" | "log">, opts: { name: string; everyMs: number; pass: (now: number) => Promise<void> }): LeasedJob {
  const holder = ctx.ids.id();
  // Long enough that the holder renews it every pass; short enough that another node takes over soon after a crash.
  const leaseMs = Math.max(60_000, 3 * opts.everyMs);
  let running: Promise<boolean> | undefined;
  let stopped = false;

  function runOnce(): Promise<boolean> {
    running ??= (async () => {
      const now = ctx.clock.now();
      if (stopped || !(await ctx.store.takeLease(opts.name, holder, now, leaseMs))) return false;
      await opts.pass(now);
      return true;
    })().finally(() => (running = undefined));
    return running;
  }

  const timer = setInterval(() => runOnce().catch((e) => ctx.log.warn("background job failed", { job: opts.name, err: String(e) })), opts.everyMs);
  timer.unref?.();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
      await ctx.store.releaseLease(opts.name, holder).catch(() => {});
    },
  };
}
