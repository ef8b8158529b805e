// Unit tests for --workers: the split by room, and merging the workers' step results and audits exactly.
import { describe, expect, test } from "bun:test";
import { Audit, mergeReports } from "./audit";
import { Histogram } from "./histogram";
import { mergeStepReports, type SenderSlot, splitByRoom, type StepReport } from "./shard";
import { buildSchedule } from "./schedule";

function part(values: number[], over: Partial<StepReport> = {}): StepReport {
  const h = new Histogram();
  for (const v of values) h.record(v);
  return {
    sent: 10, notSent: 1, acked: 9, expected: 180, delivered: 170, firstAt: 100, lastAt: 200,
    latency: h.toSparse(), ackLatency: h.toSparse(), lag: new Histogram().toSparse(),
    cpuSend: [0.5], sendSec: 2, cpuTotal: [0.6], totalSec: 3, received: 171, ...over,
  };
}

describe("WORKERS split by room", () => {
  const roomIds = ["r0", "r1", "r2", "r3", "r4"];
  const slots: SenderSlot[] = Array.from({ length: 10 }, (_, s) => ({ s, conn: (s % 5) * 4 + Math.floor(s / 5), room: roomIds[s % 5] }));

  test("WORKERS-1 every room, with all its connections and senders, is in exactly one shard", () => {
    const shards = splitByRoom(2, 5, 4, 20, slots, roomIds);
    expect(shards.length).toBe(2);
    expect(shards.flatMap((s) => s.conns).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(shards.flatMap((s) => s.slots.map((x) => x.s)).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    for (const sh of shards) {
      const rooms = new Set(sh.conns.map((c) => Math.floor(c / 4)));
      for (const slot of sh.slots) {
        expect(rooms.has(Number(slot.room.slice(1)))).toBe(true);
        expect(sh.conns).toContain(slot.conn);
      }
    }
  });

  test("WORKERS-2 never more shards than rooms; one shard takes everything", () => {
    expect(splitByRoom(8, 5, 4, 20, slots, roomIds).length).toBe(5);
    const [one] = splitByRoom(1, 5, 4, 20, slots, roomIds);
    expect(one.conns.length).toBe(20);
    expect(one.slots.length).toBe(10);
  });

  test("WORKERS-3 a worker's share of the schedule has the same times as in the whole schedule", () => {
    const spec = { ratePerSec: 100, senders: 10, durationMs: 1000, startMs: 0 };
    const all = buildSchedule(spec);
    const mine = buildSchedule(spec, [1, 4, 7]);
    const want = [...all.times].filter((_, i) => [1, 4, 7].includes(all.sender[i]));
    expect([...mine.times]).toEqual(want);
    expect(new Set(mine.sender)).toEqual(new Set([1, 4, 7]));
    expect(mine.length + buildSchedule(spec, [0, 2, 3, 5, 6, 8, 9]).length).toBe(all.length);
  });
});

describe("WORKERS merging", () => {
  test("WORKERS-4 step results: counts add up, histograms merge exactly, CPU is kept per process", () => {
    const a = [120, 5_000, 70_000];
    const b = [80, 90, 1_500_000];
    const m = mergeStepReports([part(a), part(b, { firstAt: 50, lastAt: 300, cpuSend: [0.7], cpuTotal: [0.9], sendSec: 2.1 })]);
    expect(m).toMatchObject({ sent: 20, notSent: 2, acked: 18, expected: 360, delivered: 340, received: 342, firstAt: 50, lastAt: 300, sendSec: 2.1 });
    expect(m.cpuSend).toEqual([0.5, 0.7]);
    expect(m.cpuTotal).toEqual([0.6, 0.9]);
    const one = new Histogram();
    for (const v of [...a, ...b]) one.record(v);
    expect(Histogram.fromSparse(m.latency).summary()).toEqual(one.summary());
    expect(m.latency.slots).toEqual(one.toSparse().slots);
    expect(m.crossing).toBeUndefined();
  });

  test("WORKERS-5 the merged audit of workers owning whole rooms equals one process's audit of all of them", () => {
    // Two rooms of two connections; room A loses a delivery and duplicates one, room B delivers out of order.
    const feed = (audit: Audit, rooms: string[]) => {
      const plan: Record<string, { conns: number[]; deliveries: [number, number][] }> = {
        A: { conns: [0, 1], deliveries: [[0, 1], [0, 2], [0, 3], [1, 1], [1, 3], [1, 3]] },
        B: { conns: [2, 3], deliveries: [[2, 1], [2, 2], [3, 2], [3, 1]] },
      };
      for (const room of rooms) {
        for (const c of plan[room].conns) audit.watch(c, room, 0);
        const seqs = room === "A" ? [1, 2, 3] : [1, 2];
        for (const seq of seqs) {
          audit.sent(`${room}${seq}`);
          audit.ack(`${room}${seq}`, room, seq);
        }
        for (const [c, seq] of plan[room].deliveries) audit.deliver(c, room, seq, `${room}${seq}`);
        audit.stored(room, seqs.filter((s) => !(room === "B" && s === 2)).map((seq) => ({ seq, clientMsgId: `${room}${seq}` })));
      }
    };
    const whole = new Audit();
    feed(whole, ["A", "B"]);
    const w1 = new Audit();
    feed(w1, ["A"]);
    const w2 = new Audit();
    feed(w2, ["B"]);
    const merged = mergeReports([w1.report(), w2.report()]);
    const one = whole.report();
    const { examples: _e1, ...m } = merged;
    const { examples: _e2, ...o } = one;
    expect(m).toEqual(o);
    expect(o).toMatchObject({ missing: 1, duplicated: 1, outOfOrder: 1, notStored: 1, ok: false, streams: 4, acked: 5, roomsChecked: 2 });
  });
});
