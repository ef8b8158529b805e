// HDR-style log-linear latency histogram in integer microseconds: bounded relative error, O(1) record, exact min/max/mean, mergeable.

/**
 * Layout (as in HdrHistogram): values below `subBucketCount` are stored exactly;
 * above that, each power-of-two range [2^k, 2^(k+1)) is split into
 * `subBucketCount / 2` equal slots, so a recorded value is known to within
 * 1 / (subBucketCount / 2) of itself. With 3 significant digits that is
 * 2048 sub-buckets, i.e. a relative error ≤ 1/1024 (< 0.1 %).
 */
export interface HistogramOptions {
  /** Decimal digits of precision to keep, 1..5 (default 3). */
  significantDigits?: number;
  /** Highest trackable value in µs; larger values are clamped and counted in `clamped` (default 1 h). */
  highestUs?: number;
}

export interface HistogramSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  /** Values above `highestUs` that were recorded as `highestUs`. */
  clamped: number;
}

export interface SparseHistogram {
  significantDigits: number;
  highestUs: number;
  /** [counts-array index, count] pairs for nonzero slots. */
  slots: [number, number][];
  min: number;
  max: number;
  sum: number;
  clamped: number;
}

const TWO32 = 2 ** 32;

/** Number of bits needed to represent a non-negative integer < 2^53. */
export function bitLength(v: number): number {
  if (v >= TWO32) return 32 + bitLength(Math.floor(v / TWO32));
  return 32 - Math.clz32(v);
}

export class Histogram {
  readonly significantDigits: number;
  readonly highestUs: number;
  /** log2(subBucketCount); the exact region is [0, 2^subBits). */
  private readonly subBits: number;
  private readonly halfCount: number;
  private readonly mask: number;
  private readonly counts: Float64Array;
  private total = 0;
  private sum = 0;
  private minV = Number.POSITIVE_INFINITY;
  private maxV = 0;
  private clampedN = 0;

  constructor(opts: HistogramOptions = {}) {
    const digits = opts.significantDigits ?? 3;
    if (!Number.isInteger(digits) || digits < 1 || digits > 5) throw new RangeError("significantDigits must be 1..5");
    const highest = Math.floor(opts.highestUs ?? 3_600_000_000);
    if (!(highest >= 2 && highest < 2 ** 52)) throw new RangeError("highestUs out of range");
    this.significantDigits = digits;
    this.highestUs = highest;
    this.subBits = Math.ceil(Math.log2(2 * 10 ** digits));
    this.halfCount = 2 ** (this.subBits - 1);
    this.mask = 2 ** this.subBits - 1;
    this.counts = new Float64Array(this.indexOf(highest) + 1);
  }

  get count(): number {
    return this.total;
  }

  /** Counts-array slot of an integer value (HdrHistogram's countsArrayIndex with unit magnitude 0). */
  private indexOf(v: number): number {
    const bucket = bitLength(v > this.mask ? v : this.mask) - this.subBits;
    const sub = Math.floor(v / 2 ** bucket);
    return (bucket + 1) * this.halfCount + (sub - this.halfCount);
  }

  /** Lowest value that maps to slot `i`. */
  private lowestOf(i: number): number {
    let bucket = Math.floor(i / this.halfCount) - 1;
    let sub = (i % this.halfCount) + this.halfCount;
    if (bucket < 0) {
      sub -= this.halfCount;
      bucket = 0;
    }
    return sub * 2 ** bucket;
  }

  /** Width of slot `i` (1 in the exact region, then doubling per power of two). */
  private widthOf(i: number): number {
    const bucket = Math.floor(i / this.halfCount) - 1;
    return 2 ** Math.max(0, bucket);
  }

  /** Records a latency in µs (fractions are truncated; negatives count as 0). */
  record(us: number, times = 1): void {
    if (!Number.isFinite(us) || times <= 0) return;
    let v = us < 0 ? 0 : Math.floor(us);
    if (v > this.highestUs) {
      v = this.highestUs;
      this.clampedN += times;
    }
    this.counts[this.indexOf(v)] += times;
    this.total += times;
    this.sum += v * times;
    if (v < this.minV) this.minV = v;
    if (v > this.maxV) this.maxV = v;
  }

  /** Convenience: record a latency given in (fractional) milliseconds. */
  recordMs(ms: number): void {
    this.record(ms * 1000);
  }

  /** Highest value equivalent to what was recorded at rank ⌈p·count⌉, capped at the exact max (HdrHistogram semantics). */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    if (p >= 100) return this.maxV;
    const rank = Math.max(1, Math.ceil((Math.max(0, p) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const highest = this.lowestOf(i) + this.widthOf(i) - 1;
        return Math.max(this.minV, Math.min(highest, this.maxV));
      }
    }
    return this.maxV;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minV;
  }
  get max(): number {
    return this.maxV;
  }
  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }
  get clamped(): number {
    return this.clampedN;
  }

  /** Adds another histogram's samples into this one. Different precision is merged slot by slot at each slot's midpoint. */
  merge(other: Histogram): this {
    if (other.total === 0) return this;
    if (other.significantDigits === this.significantDigits && other.highestUs <= this.highestUs) {
      for (let i = 0; i < other.counts.length; i++) if (other.counts[i] > 0) this.counts[i] += other.counts[i];
      this.total += other.total;
      this.sum += other.sum;
      this.clampedN += other.clampedN;
      if (other.minV < this.minV) this.minV = other.minV;
      if (other.maxV > this.maxV) this.maxV = other.maxV;
      return this;
    }
    const [prevMin, prevMax] = [this.minV, this.maxV];
    for (let i = 0; i < other.counts.length; i++) {
      const c = other.counts[i];
      if (c > 0) this.record(other.lowestOf(i) + Math.floor(other.widthOf(i) / 2), c);
    }
    // The midpoints lose the exact extremes; restore them.
    this.minV = Math.min(prevMin, other.minV);
    this.maxV = Math.max(prevMax, Math.min(other.maxV, this.highestUs));
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.minV = Number.POSITIVE_INFINITY;
    this.maxV = 0;
    this.clampedN = 0;
  }

  /** Percentiles in µs. */
  summary(): HistogramSummary {
    return {
      count: this.total,
      min: this.min,
      mean: Math.round(this.mean),
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
      clamped: this.clampedN,
    };
  }

  /** Compact JSON form, so results files can be re-merged later. */
  toSparse(): SparseHistogram {
    const slots: [number, number][] = [];
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i] > 0) slots.push([i, this.counts[i]]);
    return {
      significantDigits: this.significantDigits,
      highestUs: this.highestUs,
      slots,
      min: this.min,
      max: this.maxV,
      sum: this.sum,
      clamped: this.clampedN,
    };
  }

  static fromSparse(s: SparseHistogram): Histogram {
    const h = new Histogram({ significantDigits: s.significantDigits, highestUs: s.highestUs });
    for (const [i, c] of s.slots) {
      h.counts[i] += c;
      h.total += c;
    }
    h.sum = s.sum;
    h.clampedN = s.clamped;
    if (h.total > 0) {
      h.minV = s.min;
      h.maxV = s.max;
    }
    return h;
  }
}
