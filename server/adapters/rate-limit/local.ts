// In-process rate limits: keyed token buckets in a Map, answered synchronously.

import type { Clock } from "../../ports/runtime";
import type { BucketRule, RateLimiter, RateLimiters } from "../../ports/rate-limit";

/** Past this many keys, a new key first drops the full ones (a full bucket is the same as none). */
const SWEEP_ABOVE_KEYS = 100_000;

/** Keyed token buckets: `burst` tokens, refilled at `perSec`. Never does I/O, so never returns a promise. */
export class LocalBuckets implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private readonly perSec: number;
  constructor(rule: BucketRule, private readonly clock: Clock) {
    this.burst = rule.burst;
    this.perSec = rule.perSec;
  }

  take(key: string, cost = 1): number {
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > SWEEP_ABOVE_KEYS) this.sweep(now);
      this.buckets.set(key, (b = { tokens: this.burst, at: now }));
    }
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSec);
    b.at = now;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    return Math.ceil(((cost - b.tokens) / this.perSec) * 1000);
  }

  wait(key: string, cost = 1): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((this.clock.now() - b.at) / 1000) * this.perSec);
    return tokens >= cost ? 0 : Math.ceil(((cost - tokens) / this.perSec) * 1000);
  }

  give(key: string, cost = 1): void {
    const b = this.buckets.get(key);
    if (!b) return; // a missing key is full
    const now = this.clock.now();
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSec + cost);
    b.at = now;
  }

  reset(key: string): void {
    this.buckets.delete(key);
  }

  private sweep(now: number) {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSec >= this.burst) this.buckets.delete(k);
  }
}

/** Budgets per process: with several nodes each one allows the full burst. */
export function createLocalRateLimiters(clock: Clock): RateLimiters {
  return {
    scope: "node",
    limiter: (_name, rule) => new LocalBuckets(rule, clock),
    close: async () => {},
  };
}
