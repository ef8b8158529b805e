// Live progress line on stderr (rewritten in place on a terminal, throttled plain lines in CI logs) and generator CPU metering.

export class Progress {
  private readonly tty = Boolean(process.stderr.isTTY);
  private lastPlain = 0;
  private shown = false;

  /** Replaces the progress line. Off a terminal, prints at most every 2 s so CI logs stay short. */
  set(text: string): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text.slice(0, (process.stderr.columns ?? 120) - 1)}`);
      this.shown = true;
    } else if (Date.now() - this.lastPlain >= 2000) {
      this.lastPlain = Date.now();
      process.stderr.write(`  … ${text}\n`);
    }
  }

  /** Prints a permanent line above the progress line. */
  log(text: string): void {
    if (this.tty && this.shown) process.stderr.write("\r\x1b[2K");
    this.shown = false;
    process.stderr.write(`${text}\n`);
  }

  clear(): void {
    if (this.tty && this.shown) process.stderr.write("\r\x1b[2K");
    this.shown = false;
  }
}

/** Where a CpuMeter reads CPU time (µs, user + system, of this process) and wall time (ms); replaceable in tests. */
export interface CpuClock {
  cpuUs(): number;
  wallMs(): number;
}

const PROCESS_CLOCK: CpuClock = {
  cpuUs: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  wallMs: () => performance.now(),
};

/** CPU of this (generator) process over an interval: CPU-seconds, and as a fraction of one core. */
export class CpuMeter {
  private startCpu: number;
  private startWall: number;

  constructor(private readonly clock: CpuClock = PROCESS_CLOCK) {
    this.startCpu = clock.cpuUs();
    this.startWall = clock.wallMs();
  }

  restart(): void {
    this.startCpu = this.clock.cpuUs();
    this.startWall = this.clock.wallMs();
  }

  /** CPU-seconds and wall seconds since restart(). */
  sample(): { cpuSec: number; wallSec: number } {
    return { cpuSec: (this.clock.cpuUs() - this.startCpu) / 1e6, wallSec: (this.clock.wallMs() - this.startWall) / 1000 };
  }

  /** Fraction of one core used since restart(); the JS thread cannot use much more than one, so ≥ SATURATED means saturated. */
  read(): number {
    const s = this.sample();
    return s.wallSec > 0 ? s.cpuSec / s.wallSec : 0;
  }
}

/**
 * Share of its core above which a generator process is the limit: its own queueing is then in the
 * latencies, and a closed loop's rate is its ceiling rather than the server's.
 */
export const SATURATED = 0.85;

/** The generator's cost over a measured interval, summed over its processes. */
export interface GeneratorCost {
  /** CPU-seconds of every generator process (user + system). */
  cpuSec: number;
  /** Event frames received by them meanwhile. */
  deliveries: number;
  /** Wall seconds of the interval. */
  wallSec: number;
  /** Share of one core of each process over the interval. */
  shares: number[];
}

/** Generator CPU per delivery received, µs (null when nothing was received). */
export function usPerDelivery(c: Pick<GeneratorCost, "cpuSec" | "deliveries">): number | null {
  return c.deliveries > 0 ? Math.round((c.cpuSec / c.deliveries) * 1e8) / 100 : null;
}

/** One GeneratorCost from the processes' (or the steps') own: CPU and deliveries add up; the shares are kept per process. */
export function costOf(cpuSec: number[], wallSec: number, deliveries: number): GeneratorCost {
  return { cpuSec: cpuSec.reduce((a, b) => a + b, 0), deliveries, wallSec, shares: cpuSec.map((c) => (wallSec > 0 ? Math.round((c / wallSec) * 100) / 100 : 0)) };
}

/** Sums costs of consecutive intervals (the steps of a ladder): CPU, deliveries and wall time add up, each process's share is its highest. */
export function addCosts(costs: GeneratorCost[]): GeneratorCost {
  const n = Math.max(0, ...costs.map((c) => c.shares.length));
  return {
    cpuSec: costs.reduce((a, c) => a + c.cpuSec, 0),
    deliveries: costs.reduce((a, c) => a + c.deliveries, 0),
    wallSec: costs.reduce((a, c) => a + c.wallSec, 0),
    shares: Array.from({ length: n }, (_, i) => Math.max(0, ...costs.map((c) => c.shares[i] ?? 0))),
  };
}

/** Was the generator the limit? Yes when any of its processes used ≥ SATURATED of its core (one JS thread each). */
export function generatorLimited(shares: number[]): boolean {
  return shares.some((s) => s >= SATURATED);
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Resolves when `cond` holds or after `timeoutMs`; returns whether it held. Polls, because the conditions span many sockets. */
export async function waitFor(cond: () => boolean, timeoutMs: number, tick?: () => void): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    tick?.();
    await Bun.sleep(20);
  }
  return true;
}
