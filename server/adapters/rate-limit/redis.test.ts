// The Redis limiter: the contract on the shared Redis, one budget across nodes, and a Redis outage.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import type { Logger } from "../../ports/runtime";
import { startRedis } from "../../test/cluster";
import { createRedisRateLimiters, type RedisRateLimiters } from "./redis";
import { rateLimiterContract } from "./rate-limit.contract";

const REDIS_URL = process.env.PARLEY_TEST_REDIS ?? "redis://127.0.0.1:6379";
const CONNECT_MS = 5_000;
/** Redis' clock is read in whole ms: a wait of exactly the answered ms can land a fraction short. */
const CLOCK_SLACK_MS = 2;
const clock = { now: () => Date.now() };

function recordingLog(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A node's limiters with a key prefix of their own, failing the test loudly when Redis is not there. */
async function node(url: string, prefix: string, log: Logger = recordingLog()): Promise<RedisRateLimiters> {
  const limiters = createRedisRateLimiters(url, { clock, log, prefix });
  if (!(await limiters.ready(CONNECT_MS))) {
    await limiters.close();
    throw new Error(`Redis at ${url} is needed for this test and did not answer within ${CONNECT_MS} ms`);
  }
  return limiters;
}

const prefix = () => `parley-test:${crypto.randomUUID()}:`;

let contractNode: RedisRateLimiters | undefined;
let names = 0;
beforeAll(async () => void (contractNode = await node(REDIS_URL, prefix())));
rateLimiterContract("redis", {
  tokenMs: 500,
  make: (rule) => contractNode!.limiter(`n${names++}`, rule),
  advance: (ms) => Bun.sleep(ms + CLOCK_SLACK_MS),
  cleanup: async () => contractNode?.close(),
});

describe("redis limiter, shared", () => {
  let a: RedisRateLimiters, b: RedisRateLimiters, raw: Redis;
  const p = prefix();
  beforeAll(async () => {
    [a, b] = await Promise.all([node(REDIS_URL, p), node(REDIS_URL, p)]);
    raw = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), raw?.quit()]);
  });

  test("RATE-3 two nodes share one budget: burst 5, 3 takes on one and 3 on the other, the 6th is limited", async () => {
    const rule = { burst: 5, perSec: 0.1 };
    const onA = a.limiter("send", rule), onB = b.limiter("send", rule);
    for (let i = 0; i < 3; i++) expect(await onA.take("user1")).toBe(0);
    expect(await onB.take("user1")).toBe(0);
    expect(await onB.take("user1")).toBe(0);
    const sixth = await onB.take("user1");
    expect(sixth).toBeGreaterThan(0);
    expect(sixth).toBeLessThanOrEqual(10_000);
    expect(await onA.take("user1")).toBeGreaterThan(0);
    expect(await onA.wait("user1")).toBeGreaterThan(0); // the peek sees the shared state too
    await onB.reset("user1");
    expect(await onA.take("user1")).toBe(0); // and so does a reset from the other node
  });

  test("RATE-3 takes are atomic: 200 concurrent takes from two nodes spend exactly the burst", async () => {
    const rule = { burst: 20, perSec: 0.01 };
    const onA = a.limiter("atomic", rule), onB = b.limiter("atomic", rule);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? onA : onB).take("u")));
    expect(answers.filter((w) => w === 0).length).toBe(20);
  });

  test("RATE-6 a key expires once it would be full again, so idle keys do not pile up in Redis", async () => {
    const l = a.limiter("ttl", { burst: 10, perSec: 2 }); // full again 5 s after the last spend
    expect(await l.take("idle")).toBe(0);
    const ttl = await raw.pttl(`${p}ttl:idle`);
    expect(ttl).toBeGreaterThan(5_000);
    expect(ttl).toBeLessThanOrEqual(6_000);
    expect(await raw.pttl(`${p}ttl:never-taken`)).toBe(-2); // a peek or a refusal writes nothing
  });
});

describe("redis limiter, outage", () => {
  test("RATE-4 Redis killed mid-use: takes still answer from a per-node fallback, logged once; shared again after Redis is back", async () => {
    const redis = await startRedis();
    const logA = recordingLog();
    const p = prefix();
    const [a, b] = await Promise.all([node(redis.url, p, logA), node(redis.url, p)]);
    try {
      const rule = { burst: 5, perSec: 0.1 };
      const onA = a.limiter("send", rule), onB = b.limiter("send", rule);
      expect(await onA.take("u")).toBe(0);
      expect(await onB.take("u")).toBe(0);

      await redis.kill();
      // Fail open, but bounded: node A alone still allows its burst, then limits.
      for (let i = 0; i < rule.burst; i++) expect(await onA.take("u")).toBe(0);
      expect(await onA.take("u")).toBeGreaterThan(0);
      expect(await onA.wait("u")).toBeGreaterThan(0);
      await onA.reset("other"); // resolves, does not throw
      const warned = logA.lines.filter((l) => l.level === "warn");
      expect(warned.length).toBe(1);
      expect(warned[0].msg).toContain("Redis unreachable");

      await redis.restart();
      expect(await a.ready(CONNECT_MS)).toBe(true);
      expect(await b.ready(CONNECT_MS)).toBe(true);
      // The restarted Redis kept nothing (no persistence here): a fresh shared budget of 5.
      for (let i = 0; i < 3; i++) expect(await onA.take("u")).toBe(0);
      expect(await onB.take("u")).toBe(0);
      expect(await onB.take("u")).toBe(0);
      expect(await onB.take("u")).toBeGreaterThan(0);
      expect(logA.lines.filter((l) => l.level === "warn").length).toBe(1);
      expect(logA.lines.some((l) => l.level === "info" && l.msg.includes("reachable again"))).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    }
  }, 30_000);
});
