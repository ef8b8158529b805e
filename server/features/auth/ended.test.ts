// EndedSessions: the per-node list of sessions whose access tokens are refused.

import { expect, test } from "bun:test";
import { EndedSessions } from "./ended";

test("TEAM-27 an ended session is refused for exactly the access-token lifetime, then forgotten", () => {
  let now = 1_000;
  const ended = new EndedSessions({ now: () => now }, 900_000);
  ended.add(["a"]);
  now += 100;
  ended.add(["b", "a"]); // "a" keeps its first time
  expect([ended.has("a"), ended.has("b"), ended.has("c")]).toEqual([true, true, false]);
  now = 1_000 + 900_000;
  expect([ended.has("a"), ended.has("b")]).toEqual([false, true]); // any token of "a" has expired by now
  ended.add(["c"]); // prunes what expired
  now += 100;
  expect([ended.has("a"), ended.has("b"), ended.has("c")]).toEqual([false, false, true]);
});
