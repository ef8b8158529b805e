// The bus contract against NATS: the shared server for the delivery rules, a nats-server of its own for the restart rule.

import { busContract } from "../../test/contracts/bus.contract";
import { startNats } from "../../test/cluster";
import { createLogger } from "../../runtime";
import { createNatsBus } from "./nats";

const log = createLogger("error");
/** The machine's shared nats server: a run that cannot reach it fails, it is never skipped. */
const SHARED_NATS_URL = process.env.PARLEY_TEST_NATS ?? "nats://127.0.0.1:4222";
busContract({
  network: true,
  open: () => createNatsBus(SHARED_NATS_URL, log), // rejects, failing the test, when NATS is unreachable
  ownBroker: startNats,
  openAt: (url) => createNatsBus(url, log),
});
