// Rate limiting primitives shared by HTTP and WebSocket edges: keyed token buckets and a semaphore.

import type { Clock } from "./context";

/** Keyed token buckets: `burst` tokens, refilled at `perSec`. take() says how long to wait when empty. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly burst: number,
    private readonly perSec: number,
    private readonly clock: Clock,
  ) {}

  /** Takes one token; returns 0 on success, else the ms until one is available. */
  take(key: string, cost = 1): number {
    const now = this.clock.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.sweep(now);
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

  /** Peeks without taking: ms until `cost` tokens are there (0 = now). */
  wait(key: string, cost = 1): number {
    const b = this.buckets.get(key);
    if (!b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((this.clock.now() - b.at) / 1000) * this.perSec);
    return tokens >= cost ? 0 : Math.ceil(((cost - tokens) / this.perSec) * 1000);
  }

  reset(key: string) {
    this.buckets.delete(key);
  }

  /** Drops full buckets so the map cannot grow without bound. */
  private sweep(now: number) {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 1000) * this.perSec >= this.burst) this.buckets.delete(k);
  }
}

/** Caps concurrent async work (password hashing: each argon2id hash holds 64 MiB). */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
