// Rate-limit port: keyed token buckets, per process or shared by every node behind the load balancer.

/** One rule: a key starts with `burst` tokens and regains `perSec` tokens per second, up to `burst`. */
export interface BucketRule {
  burst: number;
  perSec: number;
}

/**
 * One family of keyed token buckets (one rule: "write frames per user", "registrations per address").
 * Guarantees, each checked by the contract suite under its rule id:
 * - RATE-1 a key starts full; `take(key, cost)` spends `cost` tokens and answers 0 when that many are
 *   there, else spends nothing and answers the ms until they will be (refill is continuous).
 * - RATE-2 keys are independent, and `reset(key)` makes a key full again; `give(key, cost)` puts
 *   `cost` tokens back, never past `burst` (a take that turned out not to count is undone).
 * - RATE-3 with a shared adapter every node that shares the backend spends from one budget,
 *   atomically: no token is spent twice, so `--write-burst` means the same on one node or ten.
 * - RATE-4 answers never fail: when the shared backend is unreachable the adapter answers from a
 *   per-node fallback bucket with the same rule (fail open, but still bounded per node), and goes
 *   back to the shared budget once the backend answers again.
 * - RATE-5 answers are a plain number when no I/O was needed (the in-process adapter, always):
 *   callers keep that path synchronous, so the single-process hot path makes no promise per frame.
 * - RATE-6 a key that sits idle until full is forgotten (a missing key reads as full), so the set
 *   of keys cannot grow without bound.
 */
export interface RateLimiter {
  /** Spends `cost` (default 1) tokens if there; 0 = allowed, else ms to wait and nothing spent. */
  take(key: string, cost?: number): number | Promise<number>;
  /** Peeks without spending: ms until `cost` tokens are there (0 = now). */
  wait(key: string, cost?: number): number | Promise<number>;
  /**
   * Puts `cost` (default 1) spent tokens back, up to `burst`: a guess takes its token before the
   * password is checked, and a right password gives it back.
   */
  give(key: string, cost?: number): void | Promise<void>;
  /** Makes the key full again (a successful login clears its failures). */
  reset(key: string): void | Promise<void>;
}

/** Makes the limiters of one process. The same `name` on every node is the same budget (RATE-3). */
export interface RateLimiters {
  /** "node" = budgets are per process; "cluster" = shared through the backend. */
  readonly scope: "node" | "cluster";
  limiter(name: string, rule: BucketRule): RateLimiter;
  close(): Promise<void>;
}
