// No ack without a commit (docs/reliability.md): the store fails under a running server.
// The full disk is a tmpfs of the test's own, the read-only directory an ext4 image of its own (both
// need root, and fail without it: CI runs as root); PostgreSQL is an instance of
// the test's own on its own port (initdb with the installed server binaries), never the shared one.

import { expect, test } from "bun:test";
import { runDiskFull, runPgStop, runReadOnly, type FaultFigures } from "./faults";

function expectNoAckWithoutCommit(f: FaultFigures) {
  expect(f.oksBefore).toBeGreaterThan(0);
  expect({
    oksWhileFailing: f.oksWhileFailing, ackedMissing: f.ackedMissing, ackSeqMismatch: f.ackSeqMismatch,
    erroredButStored: f.erroredButStored, seqHoles: f.seqHoles, notes: f.notes.filter((n) => n.includes("exited")),
  }).toEqual({ oksWhileFailing: 0, ackedMissing: 0, ackSeqMismatch: 0, erroredButStored: 0, seqHoles: 0, notes: [] });
  expect(f.errorsByCode).toEqual({ internal: f.sendsWhileFailing });
  expect(f.oksAfter).toBeGreaterThan(0); // recovered without a restart
}

test("REL-FAULT-1 libSQL on a full file system: every send gets an error, none an ok, none is stored later; with space again the next sends are acked", async () => {
  expectNoAckWithoutCommit(await runDiskFull());
}, 120_000);

test("REL-FAULT-3 libSQL with the data directory made read-only mid-traffic: every send gets an error, none an ok, none is stored later; writable again, the next sends are acked without a restart", async () => {
  expectNoAckWithoutCommit(await runReadOnly());
}, 120_000);

test("REL-FAULT-2 PostgreSQL stopped mid-traffic: errors, never an ok, while it is down; every acked message is there after it is back, no errored one is", async () => {
  expectNoAckWithoutCommit(await runPgStop());
}, 120_000);
