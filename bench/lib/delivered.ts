// --delivered: receiving connections report delivery as a real client does (protocol 1.2 "Delivered").

import { sampleValues } from "./server-metrics";

/** A client sends `delivered` at most once per this long per room. */
export const DELIVERED_INTERVAL_MS = 1_000;

/** What `received` asks of the connection: nothing, report `highest` now, or wake up at `dueAt` to report it. */
export const Report = { None: 0, Now: 1, Wake: 2 } as const;
export type Report = (typeof Report)[keyof typeof Report];

/**
 * One room's delivery reports for one connection: at most one per interval, always the highest seq
 * received so far, and a trailing report once the interval is over for whatever arrived meanwhile (so
 * the last message of a burst is reported too). Times are passed in (ms), so a test can use its own clock.
 * No allocation per delivery: the lean receive path (frame.ts) allocates nothing either.
 */
export class DeliveryThrottle {
  /** Highest seq received. */
  highest = 0;
  /** Highest seq reported. */
  reported = 0;
  /** When the last report went out. */
  private lastAt = -Infinity;
  /** A wake-up is pending (the connection holds the timer). */
  private waiting = false;

  constructor(readonly intervalMs = DELIVERED_INTERVAL_MS) {}

  /** When the pending report is due. */
  get dueAt(): number {
    return this.lastAt + this.intervalMs;
  }

  /** A live event with `seq` arrived at `now`. */
  received(seq: number, now: number): Report {
    if (seq > this.highest) this.highest = seq;
    if (this.highest <= this.reported || this.waiting) return Report.None;
    if (now >= this.dueAt) return this.sent(now);
    this.waiting = true;
    return Report.Wake;
  }

  /** The wake-up asked for by `received`: Now when there is something new to report (then `highest`). */
  wake(now: number): Report {
    this.waiting = false;
    if (this.highest <= this.reported) return Report.None;
    if (now < this.dueAt) {
      this.waiting = true;
      return Report.Wake; // woken early (timers may fire a little early): wait again
    }
    return this.sent(now);
  }

  private sent(now: number): Report {
    this.reported = this.highest;
    this.lastAt = now;
    return Report.Now;
  }
}

/** Parley's counters of delivered-mark writes (server/realtime/delivered.ts). */
export const DELIVERED_METRICS = { flushes: "parley_delivered_flushes_total", marks: "parley_delivered_marks_total" } as const;

/** The delivered-mark counters in a Prometheus text exposition (0 for a counter not there yet). */
export const deliveredCounters = (text: string): { flushes: number; marks: number } => sampleValues(text, DELIVERED_METRICS);

/** The frame a client sends: no request id, so the server replies with nothing (others get a receipt). */
export function deliveredFrame(room: string, seq: number): string {
  return `{"type":"delivered","room":${JSON.stringify(room)},"seq":${seq}}`;
}
