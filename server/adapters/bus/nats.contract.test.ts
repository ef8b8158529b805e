// The bus contract against NATS: the shared server for the delivery rules, a nats-server of its own for the restart rule.

import { busContract } from "../../test/contracts/bus.contract";
import { SHARED_NATS_URL, startNats } from "../../test/brokers";
import { createLogger } from "../../runtime";
import { createNatsBus } from "./nats";

const log = createLogger("error");
busContract({
  network: true,
  open: () => createNatsBus(SHARED_NATS_URL, log), // rejects, failing the test, when NATS is unreachable
  ownBroker: startNats,
  openAt: (url) => createNatsBus(url, log),
});
