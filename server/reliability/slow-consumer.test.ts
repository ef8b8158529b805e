// Slow consumers, short form (docs/reliability.md; `make soak` runs it for a minute): a client
// that stops reading while its room gets 1,000 msgs/s of 1 KB.

import { expect, test } from "bun:test";
import { CLOSE } from "../protocol/types";
import { runCatchUpOverflow, runSlow } from "./slow";

test("REL-SLOW-1 a reader that stalls is closed by the server with 4013 once its backlog passes --ws-backlog (counted, logged), memory stays bounded, the others miss nothing, and it resumes by seq with nothing missing", async () => {
  const f = await runSlow({ seconds: 4, untilClosed: true });
  expect(f.slowClosed).toBe(true);
  expect(f.slowCloseCode).toBe(CLOSE.SLOW_CONSUMER); // the server's own close, not Bun's anonymous 1006
  expect(f.slowCloseLoggedQueuedBytes).toBeGreaterThan(f.backlogLimitBytes);
  expect(f.slowClosesCounted).toBe(1);
  // What bounds the stalled reader's share is the close above (1 MiB queued at most). RSS is also
  // kept under a generous ceiling: it grows with the write load itself (page cache, collector timing).
  expect(f.rssKiB.max - f.rssKiB.before).toBeLessThan(64 * 1024);
  expect({ disorder: f.otherReceiverDisorder, missing: f.otherReceiverMissing }).toEqual({ disorder: 0, missing: 0 });
  expect({ disorder: f.resumedDisorder, missing: f.resumedMissing, gaps: f.resumedGaps, events: f.resumedEvents }).toEqual({ disorder: 0, missing: 0, gaps: 0, events: f.acked });
}, 120_000);

test("REL-SLOW-2 a stalled reader caught up from seq 0 on ~10 MB of history is closed with 4013 by the check after a send (before Bun's own limit), counted, and resumes with nothing missing", async () => {
  const f = await runCatchUpOverflow();
  expect({ code: f.closeCode, via: f.closedVia, counted: f.slowClosesCounted }).toEqual({ code: CLOSE.SLOW_CONSUMER, via: "send", counted: 1 });
  // The room's own events (creation, joins) come first: every stored message is among what it resumed.
  expect(f.resumedEvents).toBeGreaterThanOrEqual(f.stored);
  expect({ disorder: f.resumedDisorder, missing: f.resumedMissing, gaps: f.resumedGaps }).toEqual({ disorder: 0, missing: 0, gaps: 0 });
}, 120_000);
