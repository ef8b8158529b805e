// Unit tests for the correctness audit, fed with synthetic delivery streams.
import { describe, expect, test } from "bun:test";
import { Audit, SeqSet, mergeReports } from "./audit";

/** Two connections in room r, three messages acked with seq 1..3. */
function setup(): Audit {
  const a = new Audit();
  for (const conn of [0, 1]) a.watch(conn, "r", 0);
  for (const [id, seq] of [["m1", 1], ["m2", 2], ["m3", 3]] as const) {
    a.sent(id);
    a.ack(id, "r", seq);
  }
  return a;
}

function deliverAll(a: Audit, conn: number, seqs: number[], live = true): void {
  for (const s of seqs) a.deliver(conn, "r", s, `m${s}`, live);
}

describe("SeqSet", () => {
  test("grows and answers membership", () => {
    const s = new SeqSet();
    for (const v of [0, 31, 32, 1000, 100_000]) s.add(v);
    for (const v of [0, 31, 32, 1000, 100_000]) expect(s.has(v)).toBe(true);
    for (const v of [1, 33, 999, 100_001, 5_000_000]) expect(s.has(v)).toBe(false);
  });
});

describe("Audit", () => {
  test("a perfect run is ok", () => {
    const a = setup();
    deliverAll(a, 0, [1, 2, 3]);
    deliverAll(a, 1, [1, 2, 3]);
    a.stored("r", [1, 2, 3].map((seq) => ({ seq, clientMsgId: `m${seq}` })));
    const r = a.report();
    expect(r.ok).toBe(true);
    expect(r).toMatchObject({ missing: 0, duplicated: 0, outOfOrder: 0, notStored: 0, acked: 3, deliveries: 6, streams: 2, roomsChecked: 1 });
  });

  test("counts a missing delivery per connection", () => {
    const a = setup();
    deliverAll(a, 0, [1, 3]);
    deliverAll(a, 1, [1]);
    const r = a.report();
    expect(r.missing).toBe(3); // conn 0 lacks 2; conn 1 lacks 2 and 3
    expect(r.ok).toBe(false);
    expect(r.examples.some((e) => e.includes("never got seq 2"))).toBe(true);
  });

  test("counts duplicates and out-of-order arrivals separately", () => {
    const a = setup();
    deliverAll(a, 0, [1, 3, 2, 3]);
    deliverAll(a, 1, [1, 2, 3]);
    const r = a.report();
    expect(r.outOfOrder).toBe(1);
    expect(r.duplicated).toBe(1);
    expect(r.missing).toBe(0);
  });

  test("backfill (history after a gap) is exempt from ordering, not from duplicates", () => {
    const a = setup();
    deliverAll(a, 0, [3]);
    deliverAll(a, 0, [1, 2], false);
    deliverAll(a, 1, [1, 2, 3]);
    deliverAll(a, 1, [2], false);
    const r = a.report();
    expect(r.outOfOrder).toBe(0);
    expect(r.duplicated).toBe(1);
    expect(r.missing).toBe(0);
  });

  test("a connection owes nothing from before it joined", () => {
    const a = setup();
    a.watch(2, "r", 2);
    deliverAll(a, 0, [1, 2, 3]);
    deliverAll(a, 1, [1, 2, 3]);
    deliverAll(a, 2, [3]);
    expect(a.report().ok).toBe(true);
  });

  test("events that were never acked by us (joins, other kinds) may fill seq gaps", () => {
    const a = new Audit();
    a.watch(0, "r", 0);
    a.sent("x");
    a.ack("x", "r", 5);
    for (const s of [1, 2, 5]) a.deliver(0, "r", s);
    expect(a.report().ok).toBe(true);
  });

  test("messages acked but absent from history fail the run", () => {
    const a = setup();
    deliverAll(a, 0, [1, 2, 3]);
    deliverAll(a, 1, [1, 2, 3]);
    a.stored("r", [{ seq: 1, clientMsgId: "m1" }, { seq: 3, clientMsgId: "m3" }]);
    expect(a.report()).toMatchObject({ notStored: 1, ok: false });
  });

  test("a seq carrying a different message is a mismatch", () => {
    const a = setup();
    a.deliver(0, "r", 1, "other");
    a.stored("r", [{ seq: 1, clientMsgId: "m1" }, { seq: 2, clientMsgId: "zz" }, { seq: 3, clientMsgId: "m3" }]);
    a.sent("m9");
    a.ack("m9", "r", 3);
    expect(a.report().mismatched).toBe(3);
  });

  test("idempotent re-ack of the same clientMsgId is not an error", () => {
    const a = setup();
    a.ack("m2", "r", 2);
    deliverAll(a, 0, [1, 2, 3]);
    deliverAll(a, 1, [1, 2, 3]);
    expect(a.report()).toMatchObject({ ok: true, acked: 3 });
  });

  test("unanswered sends fail, rejected ones are counted, abandoned ones are not owed", () => {
    const a = new Audit();
    a.sent("a");
    a.sent("b");
    a.sent("c");
    a.reject("b", "rate_limited");
    a.abandon("c");
    const r = a.report();
    expect(r).toMatchObject({ unacked: 1, rejected: 1, ok: false });
  });

  test("a room whose stored log cannot be read fails the run as unverified", () => {
    const a = setup();
    deliverAll(a, 0, [1, 2, 3]);
    deliverAll(a, 1, [1, 2, 3]);
    a.unreadable("r", "HTTP 500");
    expect(a.report()).toMatchObject({ unverified: 1, ok: false });
  });

  test("lastSeen tracks the resume point of a stream", () => {
    const a = setup();
    deliverAll(a, 0, [1, 2]);
    expect(a.lastSeen(0, "r")).toBe(2);
    expect(a.lastSeen(5, "r")).toBeUndefined();
  });

  test("report is repeatable and mergeReports sums", () => {
    const a = setup();
    deliverAll(a, 0, [1]);
    const r1 = a.report();
    const r2 = a.report();
    expect(r2).toEqual(r1);
    const m = mergeReports([r1, setup().report(), new Audit().report()]);
    expect(m.missing).toBe(r1.missing + 6);
    expect(m.ok).toBe(false);
    expect(mergeReports([new Audit().report()]).ok).toBe(true);
  });
});
