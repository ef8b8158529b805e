// Unit tests for --delivered: a connection's reports per room (at most one a second, the highest seq, a trailing one), the frame, the counters.
import { describe, expect, test } from "bun:test";
import { DELIVERED_INTERVAL_MS, deliveredCounters, deliveredFrame, DeliveryThrottle, Report } from "./delivered";

/** Drives one throttle with a fake clock and records every report as [time, seq], firing wake-ups when the clock passes them. */
function harness(intervalMs = DELIVERED_INTERVAL_MS) {
  const t = new DeliveryThrottle(intervalMs);
  const sent: [number, number][] = [];
  let wakeAt: number | undefined;
  const act = (r: Report, now: number) => {
    if (r === Report.Now) sent.push([now, t.highest]);
    else if (r === Report.Wake) {
      expect(wakeAt).toBeUndefined(); // never two wake-ups at once
      wakeAt = t.dueAt;
    }
  };
  const advance = (now: number) => {
    while (wakeAt !== undefined && wakeAt <= now) {
      const at = wakeAt;
      wakeAt = undefined;
      act(t.wake(at), at);
    }
  };
  return {
    t, sent,
    receive(seq: number, now: number) {
      advance(now);
      act(t.received(seq, now), now);
    },
    advance,
    get wakeAt() {
      return wakeAt;
    },
  };
}

describe("DeliveryThrottle", () => {
  test("DELIV-2 the first delivery is reported at once; more within the second wait for one trailing report of the highest seq", () => {
    const h = harness();
    h.receive(1, 0);
    expect(h.sent).toEqual([[0, 1]]);
    h.receive(2, 100);
    h.receive(4, 200);
    h.receive(3, 300); // out of order: the report is still the highest
    expect(h.sent).toEqual([[0, 1]]);
    expect(h.wakeAt).toBe(1000);
    h.advance(999);
    expect(h.sent).toEqual([[0, 1]]);
    h.advance(1000);
    expect(h.sent).toEqual([[0, 1], [1000, 4]]);
    h.advance(5000);
    expect(h.sent).toHaveLength(2); // nothing new: no report
  });

  test("DELIV-3 at most one report per second however many deliveries: 100 a second for 10 s are 10 or 11 reports, each of the highest seq then", () => {
    const h = harness();
    for (let seq = 1; seq <= 1000; seq++) h.receive(seq, seq * 10);
    h.advance(20_000);
    expect(h.sent.length).toBeGreaterThanOrEqual(10);
    expect(h.sent.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < h.sent.length; i++) expect(h.sent[i][0] - h.sent[i - 1][0]).toBeGreaterThanOrEqual(1000);
    // The highest seq by then: a wake-up at the instant a delivery is due runs first, so that delivery waits for the next report.
    for (const [at, seq] of h.sent.slice(1)) expect(seq).toBe(Math.min(1000, Math.floor(at / 10) - 1));
    expect(h.sent.at(-1)![1]).toBe(1000); // the last message is reported
  });

  test("DELIV-4 a seq already reported (or lower) reports nothing; a quiet room reports its next delivery at once", () => {
    const h = harness();
    h.receive(5, 0);
    h.receive(5, 10);
    h.receive(2, 20);
    expect(h.wakeAt).toBeUndefined();
    h.receive(6, 3000);
    expect(h.sent).toEqual([[0, 5], [3000, 6]]);
  });

  test("DELIV-5 a wake-up that fires early waits again instead of reporting inside the interval", () => {
    const t = new DeliveryThrottle(1000);
    expect(t.received(1, 0)).toBe(Report.Now);
    expect(t.received(2, 10)).toBe(Report.Wake);
    expect(t.received(3, 20)).toBe(Report.None); // a wake-up is already pending
    expect(t.wake(998)).toBe(Report.Wake);
    expect(t.wake(1000)).toBe(Report.Now);
    expect([t.highest, t.reported]).toEqual([3, 3]);
  });
});

describe("delivered frame and counters", () => {
  test("DELIV-6 the frame is the protocol's, without a request id", () => {
    expect(JSON.parse(deliveredFrame("r-1", 42))).toEqual({ type: "delivered", room: "r-1", seq: 42 });
    expect(JSON.parse(deliveredFrame('a"b', 1)).room).toBe('a"b');
  });

  test("DELIV-7 the delivered-mark counters are read off /metrics text; absent ones are 0", () => {
    const text = "# HELP parley_delivered_flushes_total x\n# TYPE parley_delivered_flushes_total counter\nparley_delivered_flushes_total 12\nparley_delivered_marks_total 340\nparley_delivered_marks_total_other 9\n";
    expect(deliveredCounters(text)).toEqual({ flushes: 12, marks: 340 });
    expect(deliveredCounters("parley_up 1\n")).toEqual({ flushes: 0, marks: 0 });
  });
});
