import { describe, expect, test } from "bun:test";
import { TurnGate } from "./turn-gate";

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe("TurnGate", () => {
  test("GATE-1 at most N go on in a turn; the rest go on in later turns, N per turn, first come first served", async () => {
    const gate = new TurnGate(4);
    const order: number[] = [];
    const now: number[] = [];
    for (let i = 0; i < 10; i++) {
      const wait = gate.enter();
      if (wait === undefined) now.push(i);
      else void wait.then(() => order.push(i));
    }
    expect(now).toEqual([0, 1, 2, 3]);
    expect(gate.queued).toBe(6);
    await nextTurn();
    expect(order).toEqual([4, 5, 6, 7]);
    await nextTurn();
    expect(order).toEqual([4, 5, 6, 7, 8, 9]);
    expect(gate.queued).toBe(0);
  });

  test("GATE-2 a newcomer queues behind those already waiting", async () => {
    const gate = new TurnGate(2);
    const order: string[] = [];
    const enter = (name: string) => {
      const wait = gate.enter();
      if (wait === undefined) order.push(name);
      else void wait.then(() => order.push(name));
    };
    for (const name of ["a", "b", "c", "d", "e"]) enter(name);
    await nextTurn();
    expect(order).toEqual(["a", "b", "c", "d"]);
    enter("f"); // this turn's places are taken and e still waits
    expect(gate.queued).toBe(2);
    await nextTurn();
    expect(order).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  test("GATE-3 a quiet gate lets each newcomer go on at once, turn after turn", async () => {
    const gate = new TurnGate(1);
    for (let i = 0; i < 3; i++) {
      expect(gate.enter()).toBeUndefined();
      await nextTurn();
    }
    expect(gate.queued).toBe(0);
  });
});
