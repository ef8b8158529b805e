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

/** CPU of this (generator) process over an interval, as a fraction of one core. */
export class CpuMeter {
  private startCpu = process.cpuUsage();
  private startWall = performance.now();

  restart(): void {
    this.startCpu = process.cpuUsage();
    this.startWall = performance.now();
  }

  /** Fraction of one core used since restart(); the JS thread cannot use more than one, so ≥ 0.9 means saturated. */
  read(): number {
    const d = process.cpuUsage(this.startCpu);
    const wallMs = performance.now() - this.startWall;
    return wallMs > 0 ? (d.user + d.system) / 1000 / wallMs : 0;
  }
}

/** Generator CPU share above which its latency figures are not trusted. */
export const SATURATED = 0.9;

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
