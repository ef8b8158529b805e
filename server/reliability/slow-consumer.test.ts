// Slow consumers, short form (docs/reliability.md; `make soak` runs it for a minute): a client
// that stops reading while its room gets 1,000 msgs/s of 1 KB.

import { expect, test } from "bun:test";
import { runSlow } from "./slow";

test("REL-SLOW-1 a reader that stalls is closed once its backlog passes --ws-backlog, memory stays bounded, the others miss nothing, and it resumes by seq with nothing missing", async () => {
  const f = await runSlow({ seconds: 8 });
  expect(f.slowClosed).toBe(true);
  expect(f.slowCloseCode).toBe(1006); // Bun ends the connection without a close frame
  // What bounds the stalled reader's share is the close above (1 MiB queued at most). RSS is also
  // kept under a generous ceiling: it grows with the write load itself (page cache, collector timing).
  expect(f.rssKiB.max - f.rssKiB.before).toBeLessThan(64 * 1024);
  expect({ disorder: f.otherReceiverDisorder, missing: f.otherReceiverMissing }).toEqual({ disorder: 0, missing: 0 });
  expect({ disorder: f.resumedDisorder, missing: f.resumedMissing, gaps: f.resumedGaps, events: f.resumedEvents }).toEqual({ disorder: 0, missing: 0, gaps: 0, events: f.acked });
}, 120_000);
