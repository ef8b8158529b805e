// The bus contract against Redis: the shared server for the delivery rules, a redis-server of its own for the restart rule.

import { busContract } from "../../test/contracts/bus.contract";
import { SHARED_REDIS_URL, startRedis } from "../../test/brokers";
import { createLogger } from "../../runtime";
import { createRedisBus } from "./redis";

const log = createLogger("error");
busContract({
  network: true,
  open: () => createRedisBus(SHARED_REDIS_URL, log), // rejects, failing the test, when Redis is unreachable
  ownBroker: startRedis,
  openAt: (url) => createRedisBus(url, log),
});
