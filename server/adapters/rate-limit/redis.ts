// Shared rate limits in Redis: one Lua script per take refills and spends atomically on Redis' clock.

import Redis from "ioredis";
import type { Clock, Logger } from "../../ports/runtime";
import type { BucketRule, RateLimiter, RateLimiters } from "../../ports/rate-limit";
import { LocalBuckets } from "./local";

/**
 * KEYS[1] the bucket (a hash: t = tokens, at = ms of the last spend); ARGV burst, perSec, cost,
 * ttlMs, mode ("0" = take, "1" = peek: answer without spending, "2" = give: put `cost` back, up to
 * burst, and answer 0). Returns ms to wait: 0 = allowed, -1 = never.
 * Time comes from Redis (TIME), not from the nodes, so clock skew between nodes cannot mint tokens.
 * A refused take writes nothing: the refill is a function of (t, at, now), so skipping the write
 * changes no later answer. The TTL outlasts a full refill, and a missing key reads as full: an idle
 * key expiring is the same as it staying.
 */
const BUCKET_LUA = `
if redis.replicate_commands then redis.replicate_commands() end -- Redis < 5: writes after TIME
local burst, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = burst
if b[1] then tokens = math.min(burst, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * rate / 1000) end
if ARGV[5] == '2' then
  if b[1] then
    redis.call('HSET', KEYS[1], 't', string.format('%.6f', math.min(burst, tokens + cost)), 'at', string.format('%d', now))
    if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
  end
  return 0
end
if tokens >= cost then
  if ARGV[5] ~= '1' then
    redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens - cost), 'at', string.format('%d', now))
    if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
  end
  return 0
end
if rate <= 0 then return -1 end
return math.ceil((cost - tokens) * 1000 / rate)
`;

/**
 * No byte from Redis for this long while takes wait means Redis hangs: the connection is dropped,
 * the waiting takes answer locally, and later ones too until it reconnects. Why not ioredis'
 * per-command timeout: it misfires on a deep queue that is still moving (10,000 takes in flight
 * waited 0.2–0.6 s each here) and costs a timer per take. Why this long: the timer also fires when
 * our own event loop was too busy to read the replies; 500 ms tripped on a burst of 10,000 takes
 * issued in one tick on the loaded 2-core machines here.
 */
const SOCKET_TIMEOUT_MS = 2_000;
/** Reconnect backoff cap: budgets are shared again within about this long of Redis coming back. */
const RECONNECT_MAX_MS = 1_000;
/** How much longer than a full refill an idle key lives. */
const TTL_SLACK_MS = 1_000;

type Mode = "0" | "1" | "2";
type BucketCommand = (key: string, burst: number, perSec: number, cost: number, ttlMs: number, mode: Mode) => Promise<number>;

export interface RedisRateLimiters extends RateLimiters {
  /** Resolves true once connected, false after `timeoutMs`: startup and tests wait for the shared budget with it. */
  ready(timeoutMs: number): Promise<boolean>;
}

/**
 * Outage behaviour (RATE-4), the same for every limiter: fail open onto a per-node fallback bucket.
 * Failing closed would turn a Redis outage into a chat and login outage; failing open with no limit
 * would hand a flooder or a password guesser the outage window. A fallback bucket with the same rule
 * keeps each node's own limit, so a cluster of N nodes allows at most N× the budget while Redis is
 * away, which is what N nodes without a shared limiter would allow anyway. While Redis is not
 * connected the fallback answers synchronously, with no command and no timeout per take.
 */
export function createRedisRateLimiters(url: string, deps: { clock: Clock; log: Logger; prefix?: string }): RedisRateLimiters {
  const { clock, log } = deps;
  const prefix = deps.prefix ?? "parley:rl:";
  const redis = new Redis(url, {
    enableOfflineQueue: false, // a take while disconnected fails at once (then answers locally) instead of queueing
    maxRetriesPerRequest: 0, // takes in flight when the connection drops fail at once instead of waiting for a reconnect
    socketTimeout: SOCKET_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_MS),
    connectionName: "parley-rate-limit",
    scripts: { parleyBucket: { lua: BUCKET_LUA, numberOfKeys: 1 } },
  });
  const bucket = (redis as unknown as { parleyBucket: BucketCommand }).parleyBucket.bind(redis);
  let outage = false;

  function down(err: unknown) {
    if (outage) return;
    outage = true;
    log.warn("rate limits: Redis unreachable; each node limits on its own until it is back", { err: String(err) });
  }
  function up() {
    if (!outage) return;
    outage = false;
    log.info("rate limits: Redis reachable again; limits are shared");
  }
  let closing = false;
  redis.on("error", down);
  // A dropped connection is an outage from that moment: takes answer from the fallback at once (the
  // status leaves "ready"), while the first "error" comes only with a failed reconnect attempt.
  redis.on("close", () => closing || down(new Error("connection to Redis lost")));
  redis.on("ready", up);
  const usable = () => redis.status === "ready";

  function limiter(name: string, rule: BucketRule): RateLimiter {
    const fallback = new LocalBuckets(rule, clock);
    const ttlMs = rule.perSec > 0 ? Math.ceil((rule.burst / rule.perSec) * 1000) + TTL_SLACK_MS : 0;
    const keyOf = (key: string) => `${prefix}${name}:${key}`;
    const local = (key: string, cost: number, mode: Mode): number => {
      if (mode === "2") return fallback.give(key, cost), 0;
      return mode === "1" ? fallback.wait(key, cost) : fallback.take(key, cost);
    };
    const ask = (key: string, cost: number, mode: Mode): number | Promise<number> => {
      if (!usable()) return local(key, cost, mode);
      return bucket(keyOf(key), rule.burst, rule.perSec, cost, ttlMs, mode).then(
        (ms) => (up(), ms < 0 ? Infinity : ms),
        (err) => (down(err), local(key, cost, mode)),
      );
    };
    return {
      take: (key, cost = 1) => ask(key, cost, "0"),
      wait: (key, cost = 1) => ask(key, cost, "1"),
      give(key, cost = 1) {
        const r = ask(key, cost, "2");
        if (typeof r !== "number") return r.then(() => undefined);
      },
      reset(key) {
        fallback.reset(key);
        if (!usable()) return;
        return redis.del(keyOf(key)).then(() => undefined, down);
      },
    };
  }

  return {
    scope: "cluster",
    limiter,
    ready(timeoutMs) {
      if (redis.status === "ready") return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => (clearTimeout(timer), redis.off("ready", onReady), resolve(ok));
        const onReady = () => done(true);
        const timer = setTimeout(() => done(false), timeoutMs);
        redis.on("ready", onReady);
      });
    },
    async close() {
      closing = true;
      if (redis.status === "ready") await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
