// Unit tests for the log-linear histogram's maths (no timing involved).
import { describe, expect, test } from "bun:test";
import { Histogram, bitLength } from "./histogram";

describe("bitLength", () => {
  test("small and large integers", () => {
    expect(bitLength(0)).toBe(0);
    expect(bitLength(1)).toBe(1);
    expect(bitLength(2047)).toBe(11);
    expect(bitLength(2048)).toBe(12);
    expect(bitLength(2 ** 32)).toBe(33);
    expect(bitLength(2 ** 40 + 5)).toBe(41);
  });
});

describe("Histogram", () => {
  test("empty histogram reports zeros", () => {
    const h = new Histogram();
    expect(h.summary()).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, clamped: 0 });
  });

  test("values below the sub-bucket count are exact", () => {
    const h = new Histogram();
    for (const v of [0, 1, 7, 100, 2047]) {
      h.reset();
      h.record(v);
      expect(h.percentile(50)).toBe(v);
      expect(h.min).toBe(v);
      expect(h.max).toBe(v);
    }
  });

  test("relative error stays within the configured precision", () => {
    for (const digits of [1, 2, 3, 4]) {
      const h = new Histogram({ significantDigits: digits });
      const bound = 1 / 10 ** digits;
      for (let v = 1; v < 3e8; v = Math.ceil(v * 1.37) + 1) {
        h.reset();
        h.record(v);
        h.record(v * 10); // a larger max, so p50 shows v's slot edge instead of the exact max
        const edge = h.percentile(50);
        expect(edge).toBeGreaterThanOrEqual(v);
        expect((edge - v) / v).toBeLessThanOrEqual(bound);
        expect(h.max).toBe(v * 10); // extremes are exact
        expect(h.min).toBe(v);
      }
    }
  });

  test("percentiles of a uniform 1..100000 µs distribution", () => {
    const h = new Histogram();
    for (let v = 1; v <= 100_000; v++) h.record(v);
    const s = h.summary();
    expect(s.count).toBe(100_000);
    expect(s.min).toBe(1);
    expect(s.max).toBe(100_000);
    expect(s.mean).toBe(50_001); // exact sum, rounded
    const near = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.001);
    near(s.p50, 50_000);
    near(s.p95, 95_000);
    near(s.p99, 99_000);
    near(s.p999, 99_900);
    expect(s.p50).toBeGreaterThanOrEqual(50_000); // highest-equivalent semantics never under-reports
  });

  test("percentile rank is ceil(p·n): p99 of 100 samples is the 99th value", () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(99.9)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    expect(h.percentile(100)).toBe(100);
  });

  test("weighted record equals repeated record", () => {
    const a = new Histogram();
    const b = new Histogram();
    a.record(12_345, 7);
    for (let i = 0; i < 7; i++) b.record(12_345);
    expect(a.summary()).toEqual(b.summary());
  });

  test("fractions truncate, negatives count as zero, non-finite values are ignored", () => {
    const h = new Histogram();
    h.record(10.9);
    h.record(-5);
    h.record(Number.NaN);
    h.record(Number.POSITIVE_INFINITY);
    expect(h.count).toBe(2);
    expect(h.min).toBe(0);
    expect(h.max).toBe(10);
    h.reset();
    h.recordMs(1.5);
    expect(h.max).toBe(1500);
  });

  test("values above highestUs are clamped and counted", () => {
    const h = new Histogram({ highestUs: 1_000_000 });
    h.record(5_000_000);
    expect(h.max).toBe(1_000_000);
    expect(h.clamped).toBe(1);
  });

  test("merge equals recording everything into one histogram", () => {
    const all = new Histogram();
    const a = new Histogram();
    const b = new Histogram();
    let x = 1;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31; // deterministic LCG
      const v = x % 3_000_000;
      all.record(v);
      (i % 3 === 0 ? a : b).record(v);
    }
    a.merge(b);
    expect(a.summary()).toEqual(all.summary());
  });

  test("merge across precisions keeps count, extremes and approximate percentiles", () => {
    const fine = new Histogram({ significantDigits: 3 });
    const coarse = new Histogram({ significantDigits: 2 });
    for (let v = 1000; v <= 50_000; v += 7) coarse.record(v);
    fine.merge(coarse);
    expect(fine.count).toBe(coarse.count);
    expect(fine.min).toBe(coarse.min);
    expect(fine.max).toBe(coarse.max);
    expect(Math.abs(fine.percentile(50) - coarse.percentile(50)) / coarse.percentile(50)).toBeLessThan(0.02);
  });

  test("sparse round trip preserves the distribution", () => {
    const h = new Histogram();
    for (let v = 0; v < 5000; v += 3) h.record(v * 17);
    const back = Histogram.fromSparse(JSON.parse(JSON.stringify(h.toSparse())));
    expect(back.summary()).toEqual(h.summary());
  });

  test("rejects bad options", () => {
    expect(() => new Histogram({ significantDigits: 0 })).toThrow();
    expect(() => new Histogram({ significantDigits: 6 })).toThrow();
    expect(() => new Histogram({ highestUs: 1 })).toThrow();
  });
});
