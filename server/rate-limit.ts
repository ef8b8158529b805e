// Rate limiting for HTTP and WebSocket edges: picks the limiter adapter from Config; a semaphore for hashing.

import type { Clock, Logger } from "./ports/runtime";
import type { Config } from "./config";
import type { RateLimiter, RateLimiters } from "./ports/rate-limit";
import type { Metrics } from "./metrics";
import { createLocalRateLimiters } from "./adapters/rate-limit/local";

/** How long startup waits for Redis before serving with per-node limits (RATE-4) until it connects. */
const REDIS_STARTUP_WAIT_MS = 2_000;

/**
 * Budgets are shared by every node when the bus is Redis (the cluster already runs one); with NATS
 * or no bus they stay per process: a cluster on NATS allows each node the full budget.
 */
export async function createRateLimiters(config: Config, clock: Clock, log: Logger): Promise<RateLimiters> {
  if (!/^rediss?:\/\//.test(config.busUrl)) return createLocalRateLimiters(clock);
  // Imported only with a Redis bus: a single node never loads the Redis client (start-up memory, docs/benchmarks.md).
  const { createRedisRateLimiters } = await import("./adapters/rate-limit/redis");
  const limiters = createRedisRateLimiters(config.busUrl, { clock, log });
  if (!(await limiters.ready(REDIS_STARTUP_WAIT_MS))) log.warn("rate limits: Redis not connected at startup; limiting per node until it is", {});
  return limiters;
}

/**
 * `limits` with every refused take counted in parley_rate_limited_total{limiter=<name>}: one place
 * for every limiter, whichever edge asks it (frames, logins, registrations, HTTP calls).
 */
export function countRefusals(limits: RateLimiters, metrics: Metrics): RateLimiters {
  const refused = metrics.counter("parley_rate_limited_total", "takes a rate limiter refused, by limiter", "limiter");
  return {
    scope: limits.scope,
    close: () => limits.close(),
    limiter(name, rule): RateLimiter {
      const l = limits.limiter(name, rule);
      const label = name.replace(/-\d+$/, ""); // one label for the slow-mode-<ms> family (a limiter per room setting)
      const note = (ms: number) => (ms > 0 && refused(label), ms);
      return {
        take(key, cost) {
          const ms = l.take(key, cost);
          return typeof ms === "number" ? note(ms) : ms.then(note); // RATE-5: a plain number stays one
        },
        wait: (key, cost) => l.wait(key, cost),
        give: (key, cost) => l.give(key, cost),
        reset: (key) => l.reset(key),
      };
    },
  };
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
