// The bus contract against Redis: the shared server for the delivery rules, a redis-server of its own for the restart rule.

import { busContract } from "../../test/contracts/bus.contract";
import { startRedis } from "../../test/cluster";
import { createLogger } from "../../runtime";
import { createRedisBus } from "./redis";

const log = createLogger("error");
/** The machine's shared redis server: a run that cannot reach it fails, it is never skipped. */
const SHARED_REDIS_URL = process.env.PARLEY_TEST_REDIS ?? "redis://127.0.0.1:6379";
busContract({
  network: true,
  open: () => createRedisBus(SHARED_REDIS_URL, log), // rejects, failing the test, when Redis is unreachable
  ownBroker: startRedis,
  openAt: (url) => createRedisBus(url, log),
});
