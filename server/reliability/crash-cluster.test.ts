// Crash safety on a cluster, short form (docs/reliability.md; `make crash-cluster` runs 20 cycles):
// three nodes of the compiled binary on one PostgreSQL and one Redis behind HAProxy, 20 senders at
// ~1,000 msgs/s in total through the balancer, a random node SIGKILLed 2 times and started again.

import { expect, test } from "bun:test";
import { runCrash } from "./crash";

test("REL-CRASH-C1 a node SIGKILLed ×2 under 1,000 msgs/s through HAProxy: its clients resume on the other nodes; nothing acked is lost or duplicated, no seq holes, acks match the log, receivers see every event once in order", async () => {
  const f = await runCrash({ cycles: 2, cluster: true, runMs: [500, 1_500] });
  expect(f.acked).toBeGreaterThan(0);
  expect({
    ackedLost: f.ackedLost, duplicates: f.duplicates, seqHoles: f.seqHoles, ackSeqMismatch: f.ackSeqMismatch,
    receiverDisorder: f.receiverDisorder, receiverGaps: f.receiverGaps, receiverMissing: f.receiverMissing, problems: f.problems,
  }).toEqual({ ackedLost: 0, duplicates: 0, seqHoles: 0, ackSeqMismatch: 0, receiverDisorder: 0, receiverGaps: 0, receiverMissing: 0, problems: [] });
  expect(f.killedClients!.length).toBe(2);
  for (const n of f.killedClients!) expect(n).toBeGreaterThan(0); // each kill took clients down with it
}, 180_000);
