// Open-loop send schedule: precomputed intended send times per sender, the body stamp that carries them, and the shared clock.

/**
 * Wall-clock milliseconds with sub-ms resolution. Every timestamp in the bench
 * (scheduled send, receive) comes from here, so latencies never mix clocks.
 */
export function nowMs(): number {
  return ORIGIN + performance.now();
}
const ORIGIN = performance.timeOrigin;

export type Arrival = "uniform" | "poisson";

export interface ScheduleSpec {
  /** Messages per second, summed over all senders. */
  ratePerSec: number;
  senders: number;
  durationMs: number;
  /** Absolute start (nowMs() clock). */
  startMs: number;
  arrival?: Arrival;
  /** Seed for poisson arrivals, so a run can be reproduced exactly. */
  seed?: number;
}

/** All sends of a run, merged across senders and sorted by intended time. */
export interface Schedule {
  times: Float64Array;
  sender: Uint32Array;
  /** Per-sender sequence number of each send (0, 1, 2 … per sender). */
  nth: Uint32Array;
  length: number;
}

/** Small, fast, seedable PRNG (mulberry32); Math.random cannot be replayed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Intended send times of one sender. Uniform: one send every `senders/rate`
 * seconds, phase-shifted by `index/rate` so that senders interleave evenly
 * instead of bursting together. Poisson: exponential gaps with the same mean.
 */
export function senderTimes(spec: ScheduleSpec, index: number): number[] {
  const { ratePerSec, senders, durationMs, startMs } = spec;
  if (!(ratePerSec > 0) || senders < 1 || index < 0 || index >= senders) throw new RangeError("bad schedule spec");
  const periodMs = (1000 * senders) / ratePerSec;
  const end = startMs + durationMs;
  const out: number[] = [];
  if ((spec.arrival ?? "uniform") === "uniform") {
    const phase = (1000 * index) / ratePerSec;
    for (let t = startMs + phase, k = 1; t < end; t = startMs + phase + k * periodMs, k++) out.push(t);
    return out;
  }
  const rnd = mulberry32(((spec.seed ?? 1) * 2654435761 + index * 40503) >>> 0);
  for (let t = startMs - periodMs * Math.log(1 - rnd()); t < end; t -= periodMs * Math.log(1 - rnd())) out.push(t);
  return out;
}

/**
 * Builds the merged schedule of every sender (or of the senders listed in `only`: a worker's share,
 * with the same times they have in the whole schedule), sorted by time (ties keep sender order).
 */
export function buildSchedule(spec: ScheduleSpec, only?: number[]): Schedule {
  const ids = only ?? Array.from({ length: spec.senders }, (_, i) => i);
  const per = ids.map((i) => senderTimes(spec, i));
  const length = per.reduce((n, a) => n + a.length, 0);
  const entries: { t: number; s: number; k: number }[] = [];
  per.forEach((times, j) => times.forEach((t, k) => entries.push({ t, s: ids[j], k })));
  entries.sort((a, b) => a.t - b.t || a.s - b.s);
  const schedule: Schedule = {
    times: new Float64Array(length),
    sender: new Uint32Array(length),
    nth: new Uint32Array(length),
    length,
  };
  entries.forEach((e, i) => {
    schedule.times[i] = e.t;
    schedule.sender[i] = e.s;
    schedule.nth[i] = e.k;
  });
  return schedule;
}

/** Index one past the last entry due at `now`, starting from `cursor`. The dispatcher sends [cursor, result). */
export function takeDue(schedule: Schedule, cursor: number, now: number): number {
  let i = cursor;
  while (i < schedule.length && schedule.times[i] <= now) i++;
  return i;
}

/**
 * Runs a schedule against the clock: sends everything due, then sleeps until
 * the next entry. A late wake-up sends the backlog at once, stamped with the
 * *scheduled* times, so generator or server stalls show up as latency
 * instead of silently lowering the offered rate (no coordinated omission).
 */
export async function dispatch(
  schedule: Schedule,
  send: (index: number, scheduledMs: number) => void,
  onLag?: (lagMs: number) => void,
): Promise<void> {
  let cursor = 0;
  while (cursor < schedule.length) {
    const now = nowMs();
    const due = takeDue(schedule, cursor, now);
    for (let i = cursor; i < due; i++) {
      onLag?.(now - schedule.times[i]);
      send(i, schedule.times[i]);
    }
    cursor = due;
    if (cursor < schedule.length) {
      // Never spin: a busy-wait would burn the generator's core and hide real saturation. Timers have ~1 ms
      // granularity, so a send may leave up to ~1-2 ms late; that lateness is reported (onLag) and counted as latency.
      await Bun.sleep(Math.max(1, schedule.times[cursor] - nowMs()));
    }
  }
}

// ---- body stamp: receivers compute latency from the scheduled time carried in the message itself.

const STAMP = "t=";

/**
 * Unique to this generator process. A clientMsgId repeated by a second run against the same server
 * (with --accounts) is answered with the first run's message — idempotency working as designed — so
 * every id ends with it.
 */
const RUN_ID = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

/** A send's clientMsgId (also its request id): the step tag first, which the recorder reads back. */
export function clientMsgId(step: string, sender: number, n: number): string {
  return `${step}.${sender}.${n}.${RUN_ID}`;
}

/** Body carrying the scheduled send time; `pad` grows it to a realistic size. */
export function stampBody(scheduledMs: number, tag: string, pad = 0): string {
  const head = `${STAMP}${scheduledMs.toFixed(3)} ${tag}`;
  return pad > head.length ? head + " " + "x".repeat(pad - head.length - 1) : head;
}

/** Scheduled send time from a stamped body, or undefined for foreign messages. */
export function readStamp(body: string): number | undefined {
  if (!body.startsWith(STAMP)) return undefined;
  const end = body.indexOf(" ", STAMP.length);
  const t = Number(body.slice(STAMP.length, end < 0 ? undefined : end));
  return Number.isFinite(t) ? t : undefined;
}
