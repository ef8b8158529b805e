// The in-process limiter: the contract on an injected clock, and its synchronous answers.

import { describe, expect, test } from "bun:test";
import { createLocalRateLimiters } from "./local";
import { rateLimiterContract } from "./rate-limit.contract";

let now = 1_700_000_000_000;
const limiters = createLocalRateLimiters({ now: () => now });
rateLimiterContract("local", {
  tokenMs: 100,
  make: (rule) => limiters.limiter("contract", rule),
  advance: async (ms) => void (now += ms),
  cleanup: () => limiters.close(),
});

describe("local limiter", () => {
  test("RATE-5 answers are plain numbers, never promises: one node makes no promise per frame", () => {
    const l = limiters.limiter("sync", { burst: 1, perSec: 1 });
    expect(typeof l.take("k")).toBe("number");
    expect(typeof l.take("k")).toBe("number");
    expect(typeof l.wait("k")).toBe("number");
    expect(limiters.scope).toBe("node");
  });
});
