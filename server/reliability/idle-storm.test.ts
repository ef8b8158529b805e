// Idle and storm, short form (docs/reliability.md; `make soak` runs 10,000 connections for 10 minutes).

import { expect, test } from "bun:test";
import { runIdle } from "./idle";

test("REL-IDLE-1 1,000 idle sockets stay connected with RSS flat; after a SIGKILL they all reconnect with jittered backoff and resume by seq, 99 % within 60 s, nothing lost", async () => {
  const f = await runIdle({ conns: 1_000, idleSec: 10 });
  expect({ connected: f.connectedAfterIdle, closes: f.closesDuringIdle }).toEqual({ connected: 1_000, closes: 0 });
  // Flat: no growth beyond the garbage collector's swing while nothing happens.
  expect(f.rssKiB.endOfIdle).toBeLessThan(f.rssKiB.startOfIdle * 1.2);
  expect(f.resumedWithin60s).toBeGreaterThanOrEqual(990);
  expect({ missing: f.missing, disorder: f.disorder, gaps: f.gaps }).toEqual({ missing: 0, disorder: 0, gaps: 0 });
}, 180_000);
