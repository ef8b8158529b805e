// Rate limiting for HTTP and WebSocket edges: picks the limiter adapter from Config; a semaphore for hashing.

import type { Clock, Logger } from "./ports/runtime";
import type { Config } from "./config";
import type { RateLimiters } from "./ports/rate-limit";
import { createLocalRateLimiters } from "./adapters/rate-limit/local";
import { createRedisRateLimiters } from "./adapters/rate-limit/redis";

/** How long startup waits for Redis before serving with per-node limits (RATE-4) until it connects. */
const REDIS_STARTUP_WAIT_MS = 2_000;

/**
 * Budgets are shared by every node when the bus is Redis (the cluster already runs one); with NATS
 * or no bus they stay per process: a cluster on NATS allows each node the full budget.
 */
export async function createRateLimiters(config: Config, clock: Clock, log: Logger): Promise<RateLimiters> {
  if (!/^rediss?:\/\//.test(config.busUrl)) return createLocalRateLimiters(clock);
  const limiters = createRedisRateLimiters(config.busUrl, { clock, log });
  if (!(await limiters.ready(REDIS_STARTUP_WAIT_MS))) log.warn("rate limits: Redis not connected at startup; limiting per node until it is", {});
  return limiters;
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
