// Crash safety, short form (docs/reliability.md; `make crash` runs 20 cycles): 20 senders at
// ~1,000 msgs/s in total, the server SIGKILLed at random moments 3 times.

import { expect, test } from "bun:test";
import { runCrash } from "./crash";

test("REL-CRASH-1 SIGKILL ×3 under 1,000 msgs/s: nothing acked is lost or duplicated, no seq holes, acks match the log, the file stays intact, receivers see every event once in order", async () => {
  const f = await runCrash({ cycles: 3, runMs: [500, 1_500] });
  expect(f.acked).toBeGreaterThan(0);
  expect({
    ackedLost: f.ackedLost, duplicates: f.duplicates, seqHoles: f.seqHoles, ackSeqMismatch: f.ackSeqMismatch,
    integrity: f.integrity.filter((x) => x !== "ok"), receiverDisorder: f.receiverDisorder, receiverGaps: f.receiverGaps, receiverMissing: f.receiverMissing, problems: f.problems,
  }).toEqual({ ackedLost: 0, duplicates: 0, seqHoles: 0, ackSeqMismatch: 0, integrity: [], receiverDisorder: 0, receiverGaps: 0, receiverMissing: 0, problems: [] });
  expect(f.integrity.length).toBe(4); // after each kill, and after the final clean stop
}, 120_000);
