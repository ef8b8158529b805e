// Unit tests for the open-loop schedule and the body stamp (pure maths; never asserts timings).
import { describe, expect, test } from "bun:test";
import { buildSchedule, clientMsgId, dispatch, mulberry32, readStamp, senderTimes, stampBody, takeDue } from "./schedule";

describe("uniform schedule", () => {
  const spec = { ratePerSec: 1000, senders: 4, durationMs: 2000, startMs: 10_000 };

  test("offers exactly rate × duration sends, inside the window, sorted", () => {
    const s = buildSchedule(spec);
    expect(s.length).toBe(2000);
    for (let i = 0; i < s.length; i++) {
      expect(s.times[i]).toBeGreaterThanOrEqual(10_000);
      expect(s.times[i]).toBeLessThan(12_000);
      if (i > 0) expect(s.times[i]).toBeGreaterThanOrEqual(s.times[i - 1]);
    }
  });

  test("each sender sends every senders/rate seconds; senders interleave at 1/rate", () => {
    const t0 = senderTimes(spec, 0);
    const t1 = senderTimes(spec, 1);
    expect(t0.length).toBe(500);
    for (let k = 1; k < t0.length; k++) expect(t0[k] - t0[k - 1]).toBeCloseTo(4, 9);
    expect(t1[0] - t0[0]).toBeCloseTo(1, 9);
    const s = buildSchedule(spec);
    for (let i = 1; i < 50; i++) expect(s.times[i] - s.times[i - 1]).toBeCloseTo(1, 9);
    expect(Array.from(s.sender.slice(0, 8))).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(Array.from(s.nth.slice(0, 8))).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });

  test("times do not drift: the 1000th send is exactly on the grid", () => {
    const t = senderTimes({ ratePerSec: 3, senders: 1, durationMs: 400_000, startMs: 0 }, 0);
    expect(t[999]).toBeCloseTo(999 * (1000 / 3), 6);
  });

  test("rejects nonsense", () => {
    expect(() => senderTimes({ ...spec, ratePerSec: 0 }, 0)).toThrow();
    expect(() => senderTimes(spec, 4)).toThrow();
  });
});

describe("poisson schedule", () => {
  const spec = { ratePerSec: 500, senders: 5, durationMs: 20_000, startMs: 0, arrival: "poisson" as const, seed: 42 };

  test("is reproducible for a seed and differs across seeds", () => {
    expect(Array.from(buildSchedule(spec).times.slice(0, 20))).toEqual(Array.from(buildSchedule(spec).times.slice(0, 20)));
    expect(buildSchedule({ ...spec, seed: 43 }).times[0]).not.toBe(buildSchedule(spec).times[0]);
  });

  test("mean rate and gap statistics match the offered rate", () => {
    const s = buildSchedule(spec);
    // 10,000 expected events: a fixed seed keeps this deterministic, 3 % is > 3 standard deviations.
    expect(Math.abs(s.length - 10_000) / 10_000).toBeLessThan(0.03);
    const gaps = senderTimes(spec, 2).map((t, i, a) => (i === 0 ? t : t - a[i - 1]));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(Math.abs(mean - 10) / 10).toBeLessThan(0.05); // 5 senders at 500/s: mean gap 10 ms
    for (let i = 1; i < s.length; i++) expect(s.times[i]).toBeGreaterThanOrEqual(s.times[i - 1]);
  });

  test("mulberry32 stays in [0, 1)", () => {
    const r = mulberry32(7);
    for (let i = 0; i < 10_000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe("takeDue", () => {
  const s = buildSchedule({ ratePerSec: 10, senders: 1, durationMs: 1000, startMs: 0 }); // 0, 100, … 900

  test("returns the backlog of everything due, inclusive of now", () => {
    expect(takeDue(s, 0, -1)).toBe(0);
    expect(takeDue(s, 0, 0)).toBe(1);
    expect(takeDue(s, 1, 250)).toBe(3);
    expect(takeDue(s, 3, 10_000)).toBe(10); // a stalled generator catches up all at once
    expect(takeDue(s, 10, 10_000)).toBe(10);
  });
});

describe("dispatch", () => {
  test("sends every entry once, in order, stamped with its scheduled time", async () => {
    const start = performance.timeOrigin + performance.now() - 1000; // entirely in the past: no waiting
    const s = buildSchedule({ ratePerSec: 100, senders: 3, durationMs: 200, startMs: start });
    const seen: number[] = [];
    const lags: number[] = [];
    await dispatch(s, (i, t) => {
      expect(t).toBe(s.times[i]);
      seen.push(i);
    }, (lag) => lags.push(lag));
    expect(seen).toEqual(Array.from({ length: s.length }, (_, i) => i));
    expect(lags.every((l) => l >= 0)).toBe(true);
  });
});

describe("body stamp", () => {
  test("round-trips the scheduled time with µs precision", () => {
    const t = 1_712_345_678_901.234;
    expect(readStamp(stampBody(t, "c1.7"))).toBeCloseTo(t, 3);
  });

  test("pads to the requested size without breaking the stamp", () => {
    const b = stampBody(5, "x", 200);
    expect(b.length).toBe(200);
    expect(readStamp(b)).toBe(5);
  });

  test("ignores foreign bodies", () => {
    expect(readStamp("hello")).toBeUndefined();
    expect(readStamp("t=abc def")).toBeUndefined();
  });
});

describe("clientMsgId", () => {
  test("step tag first (the recorder reads it), then sender and counter, then this run's id; within the protocol's 64 characters", () => {
    const id = clientMsgId("f5000", 99, 123_456);
    expect(id.startsWith("f5000.99.123456.")).toBe(true);
    expect(id.length).toBeLessThanOrEqual(64);
    expect(id.split(".").at(-1)!.length).toBeGreaterThan(4); // a rerun with --accounts must not repeat ids (they would be deduplicated)
  });
});
