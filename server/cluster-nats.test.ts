// Three dist/parley processes on one PostgreSQL database and one NATS server, behind HAProxy (rules shared with cluster.test.ts).

import { clusterRules } from "./test/cluster-suite";

clusterRules("nats", ["1", "3", "5", "7"]);
