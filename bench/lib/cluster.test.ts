// Unit tests for the cluster target's pure parts: CPU shares between samples, and where deliveries cross nodes.
import { describe, expect, test } from "bun:test";
import { placementOf } from "../scenarios/fanout";
import { cpuShares } from "./cluster";

describe("cpuShares", () => {
  test("sums by name; a process new in the second sample counts whole; one gone is missed", () => {
    const before = [{ name: "node1", pid: 1, seconds: 10 }, { name: "postgres", pid: 7, seconds: 3 }, { name: "postgres", pid: 8, seconds: 5 }];
    const after = [{ name: "node1", pid: 1, seconds: 12 }, { name: "postgres", pid: 7, seconds: 4 }, { name: "postgres", pid: 9, seconds: 1 }];
    expect(cpuShares(before, after, 4)).toEqual({ node1: 0.5, postgres: 0.5 });
  });
});

describe("placementOf", () => {
  const room = (i: number) => `r${Math.floor(i / 4)}`;
  test("share of each sender's room on other nodes", () => {
    // Two rooms of 4, round robin over 2 nodes; senders are the first member of each room.
    const p = placementOf([0, 1, 0, 1, 0, 1, 0, 1], 2, [{ conn: 0, room: "r0" }, { conn: 4, room: "r1" }], room);
    expect(p).toEqual({ perNode: [4, 4], roomsSpanning: 2, crossingShare: 0.5 });
  });
  test("one node: nothing crosses, and that is fine", () => {
    expect(placementOf([0, 0, 0, 0], 1, [{ conn: 0, room: "r0" }], room).crossingShare).toBe(0);
  });
  test("several nodes but no room spanning two: an error, not a silent zero", () => {
    expect(() => placementOf([0, 0, 0, 0, 1, 1, 1, 1], 2, [{ conn: 0, room: "r0" }, { conn: 4, room: "r1" }], room)).toThrow(/crossing would not be measured/);
  });
});
