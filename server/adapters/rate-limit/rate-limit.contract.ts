// The RateLimiter contract: the rules of ports/rate-limit.ts as tests, run against each adapter.

import { afterAll, describe, expect, test } from "bun:test";
import type { BucketRule, RateLimiter } from "../../ports/rate-limit";

export interface LimiterFactory {
  /**
   * Ms per token in the rule the suite uses. A fake clock can take anything; on a real clock it must
   * be longer than a few takes on a loaded machine, or tokens come back between the takes.
   */
  tokenMs: number;
  /** A limiter under a name no other test uses. */
  make(rule: BucketRule): RateLimiter;
  /**
   * Lets `ms` pass for the buckets. The local adapter moves its injected clock; Redis keeps time
   * itself (TIME), so its factory really waits: the wait is the refill being tested, not a guess.
   */
  advance(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

export function rateLimiterContract(name: string, factory: LimiterFactory) {
  const TOKEN_MS = factory.tokenMs;
  const RULE: BucketRule = { burst: 3, perSec: 1000 / TOKEN_MS };
  describe(`rate limiter contract: ${name}`, () => {
    afterAll(() => factory.cleanup());

    test("RATE-1 a key starts full: burst takes pass, the next answers the ms until a token is back", async () => {
      const l = factory.make(RULE);
      for (let i = 0; i < RULE.burst; i++) expect(await l.take("k")).toBe(0);
      const wait = await l.take("k");
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(TOKEN_MS);
    });

    test("RATE-1 a refused take spends nothing, and after the answered wait a take passes (refill)", async () => {
      const l = factory.make(RULE);
      for (let i = 0; i < RULE.burst; i++) await l.take("k");
      const first = await l.take("k");
      const again = await l.take("k");
      expect(again).toBeGreaterThan(0);
      expect(again).toBeLessThanOrEqual(first); // refusals did not push the refill further away
      await factory.advance(again);
      expect(await l.take("k")).toBe(0);
      expect(await l.take("k")).toBeGreaterThan(0);
      await factory.advance(RULE.burst * TOKEN_MS + 5);
      for (let i = 0; i < RULE.burst; i++) expect(await l.take("k")).toBe(0); // refilled to burst, not past it
      expect(await l.take("k")).toBeGreaterThan(0);
    }, 10 * TOKEN_MS + 5_000);

    test("RATE-1 cost: a take of several tokens passes only when all are there; wait() peeks without spending", async () => {
      const l = factory.make(RULE);
      expect(await l.wait("k", RULE.burst)).toBe(0);
      expect(await l.wait("k", RULE.burst)).toBe(0);
      expect(await l.take("k", 2)).toBe(0);
      const w = await l.wait("k", 2);
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(TOKEN_MS);
      expect(await l.take("k", 2)).toBeGreaterThan(0);
      expect(await l.take("k", 1)).toBe(0); // the refused take of 2 left the last token in place
    });

    test("RATE-2 keys are independent; reset makes a key full again", async () => {
      const l = factory.make(RULE);
      for (let i = 0; i < RULE.burst; i++) await l.take("a");
      expect(await l.take("a")).toBeGreaterThan(0);
      expect(await l.take("b")).toBe(0);
      await l.reset("a");
      for (let i = 0; i < RULE.burst; i++) expect(await l.take("a")).toBe(0);
      expect(await l.take("a")).toBeGreaterThan(0);
    });

    test("RATE-2 give puts spent tokens back, never past burst; giving to a full or unknown key changes nothing", async () => {
      const l = factory.make(RULE);
      for (let i = 0; i < RULE.burst; i++) expect(await l.take("k")).toBe(0);
      expect(await l.take("k")).toBeGreaterThan(0);
      await l.give("k");
      expect(await l.take("k")).toBe(0);
      expect(await l.take("k")).toBeGreaterThan(0);
      await l.give("k", RULE.burst + 5);
      for (let i = 0; i < RULE.burst; i++) expect(await l.take("k")).toBe(0);
      expect(await l.take("k")).toBeGreaterThan(0);
      await l.give("fresh", 2);
      for (let i = 0; i < RULE.burst; i++) expect(await l.take("fresh")).toBe(0);
      expect(await l.take("fresh")).toBeGreaterThan(0);
    });

    test("RATE-2 limiters of different names do not share budgets", async () => {
      const one = factory.make(RULE);
      const two = factory.make(RULE);
      for (let i = 0; i < RULE.burst; i++) await one.take("k");
      expect(await one.take("k")).toBeGreaterThan(0);
      expect(await two.take("k")).toBe(0);
    });
  });
}
