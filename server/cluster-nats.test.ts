// Three dist/parley processes on one PostgreSQL database and one NATS server, behind HAProxy (rules shared with cluster.test.ts).

import { clusterRules } from "./test/cluster-suite";

// CLUSTER-10 is not run here: on NATS slow mode (like every rate limit) is per node.
clusterRules("nats", ["1", "3", "5", "7", "11"]);
